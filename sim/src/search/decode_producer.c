/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The data producer (after zstd's tests/fuzz/fuzz_data_producer): reads
 * the decoder's control bytes front to back; once the input is used up
 * every read returns its minimum, so any byte string decodes.
 */
#include "decode_int.h"

void khp_dp_init(struct khp_dp *dp, const uint8_t *data, size_t size)
{
	dp->data = data;
	dp->size = data ? size : 0;
	dp->pos = 0;
}

bool khp_dp_empty(const struct khp_dp *dp)
{
	return dp->pos >= dp->size;
}

size_t khp_dp_remaining(const struct khp_dp *dp)
{
	return dp->pos >= dp->size ? 0 : dp->size - dp->pos;
}

uint32_t khp_dp_u8(struct khp_dp *dp)
{
	if (dp->pos >= dp->size)
		return 0;
	return dp->data[dp->pos++];
}

uint32_t khp_dp_range(struct khp_dp *dp, uint32_t min, uint32_t max)
{
	uint64_t span, v = 0;
	uint32_t used = 0;

	if (max <= min)
		return min;
	span = (uint64_t)max - min;
	while (used < 32 && (span >> used) && !khp_dp_empty(dp)) {
		v = (v << 8) | khp_dp_u8(dp);
		used += 8;
	}
	return min + (uint32_t)(v % (span + 1));
}
