/* Integers past 64 bits, as far as formatting needs them: Python's ints are
 * unbounded, so a JSON integer of 30 digits prints in hex, and %d of 1e22 prints
 * every digit of the float's exact value.  Kept as decimal text; converted to
 * 32-bit limbs (least significant first) only to change base. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pyfmt.h"

struct limbs {
	uint32_t *d;
	size_t n;
};

/* x = x * mul + add */
static void mul_add(struct limbs *x, uint32_t mul, uint32_t add)
{
	uint64_t carry = add;
	for (size_t i = 0; i < x->n; i++) {
		uint64_t t = (uint64_t)x->d[i] * mul + carry;
		x->d[i] = (uint32_t)t;
		carry = t >> 32;
	}
	if (carry)
		x->d[x->n++] = (uint32_t)carry;
}

/* x = x / div; returns the remainder */
static uint32_t div_small(struct limbs *x, uint32_t div)
{
	uint64_t rem = 0;
	for (size_t i = x->n; i-- > 0;) {
		uint64_t t = rem << 32 | x->d[i];
		x->d[i] = (uint32_t)(t / div);
		rem = t % div;
	}
	while (x->n && !x->d[x->n - 1])
		x->n--;
	return (uint32_t)rem;
}

int big_to_base(const char *dec, size_t n, int base, int upper, struct osfs_buf *out)
{
	struct limbs x = {calloc(n / 9 + 2, sizeof(uint32_t)), 0};
	if (!x.d)
		return -ENOMEM;
	for (size_t i = 0; i < n;) {
		uint32_t chunk = 0, scale = 1;
		for (size_t k = 0; k < 9 && i < n; k++, i++) {
			chunk = chunk * 10 + (uint32_t)(dec[i] - '0');
			scale *= 10;
		}
		mul_add(&x, scale, chunk);
	}
	const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	int bits = base == 2 ? 1 : base == 8 ? 3 : 4;
	if (!x.n)
		osfs_buf_putc(out, '0');
	size_t total = x.n * 32, ndig = (total + (size_t)bits - 1) / (size_t)bits;
	int started = 0;
	for (size_t k = ndig; k-- > 0;) {
		unsigned v = 0;
		for (int b = bits - 1; b >= 0; b--) {
			size_t bit = k * (size_t)bits + (size_t)b;
			v = v << 1 | (bit < total ? (x.d[bit / 32] >> (bit % 32)) & 1 : 0);
		}
		if (v || started || k == 0) {
			osfs_buf_putc(out, set[v]);
			started = 1;
		}
	}
	free(x.d);
	return 0;
}

int big_from_double(double x, struct osfs_buf *out)
{
	int e;
	double m = frexp(fabs(trunc(x)), &e); /* |x| = m * 2^e, 0.5 <= m < 1 */
	if (m == 0) {
		osfs_buf_putc(out, '0');
		return 0;
	}
	uint64_t mant = (uint64_t)ldexp(m, 53);
	int shift = e - 53;
	if (shift < 0) { /* |x| < 2^53: exact in 64 bits */
		mant >>= -shift;
		shift = 0;
	}
	size_t cap = (size_t)shift / 32 + 4;
	struct limbs v = {calloc(cap, sizeof(uint32_t)), 0};
	char *digits = malloc(cap * 10 + 2);
	if (!v.d || !digits) {
		free(v.d);
		free(digits);
		return -ENOMEM;
	}
	v.d[0] = (uint32_t)mant;
	v.d[1] = (uint32_t)(mant >> 32);
	v.n = v.d[1] ? 2 : 1;
	for (int i = 0; i < shift; i++)
		mul_add(&v, 2, 0);
	size_t nd = 0;
	while (v.n) {
		uint32_t r = div_small(&v, 1000000000);
		for (int k = 0; k < 9; k++, r /= 10)
			digits[nd++] = (char)('0' + r % 10);
	}
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	if (x < 0)
		osfs_buf_putc(out, '-');
	for (size_t i = nd; i-- > 0;)
		osfs_buf_putc(out, digits[i]);
	free(v.d);
	free(digits);
	return 0;
}

int float_to_int(double x, long long *small, struct osfs_buf *big)
{
	double t = trunc(x);
	if (t >= -9223372036854775808.0 && t < 9223372036854775808.0) {
		*small = (long long)t;
		return 0;
	}
	return big_from_double(x, big) ? -ENOMEM : 1;
}
