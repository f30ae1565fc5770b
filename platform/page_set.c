// SPDX-License-Identifier: MIT
/*
 * Page-frame sets: linear probing kept at most half full, deletion by
 * shifting later entries of the same run back, so no tombstones build up
 * in a set whose members come and go all the time.
 */
#include "page_set.h"

#include <errno.h>
#include <stdlib.h>

static size_t home(const struct page_set *s, u64 key)
{
	/* Fibonacci hashing: frames are dense, their low bits say little. */
	return (size_t)((key * 0x9E3779B97F4A7C15ULL) >> 32) & (s->cap - 1);
}

/* The slot holding @key, or the empty slot ending its run. */
static size_t find(const struct page_set *s, u64 key)
{
	size_t i = home(s, key);

	while (s->slot[i] && s->slot[i] != key)
		i = (i + 1) & (s->cap - 1);
	return i;
}

static int grow(struct page_set *s)
{
	struct page_set n = { .cap = s->cap ? 2 * s->cap : 256, .used = s->used };

	n.slot = calloc(n.cap, sizeof(*n.slot));
	if (!n.slot)
		return -ENOMEM;
	for (size_t i = 0; i < s->cap; i++)
		if (s->slot[i])
			n.slot[find(&n, s->slot[i])] = s->slot[i];
	free(s->slot);
	*s = n;
	return 0;
}

int page_set_add(struct page_set *s, u64 frame)
{
	u64 key = frame + 1;
	size_t i;

	if (2 * (s->used + 1) > s->cap && grow(s))
		return -ENOMEM;
	i = find(s, key);
	if (s->slot[i])
		return 0;
	s->slot[i] = key;
	s->used++;
	return 1;
}

bool page_set_has(const struct page_set *s, u64 frame)
{
	return s->cap && s->slot[find(s, frame + 1)];
}

bool page_set_del(struct page_set *s, u64 frame)
{
	size_t i, j, h;

	if (!s->cap)
		return false;
	i = find(s, frame + 1);
	if (!s->slot[i])
		return false;
	/* Move back each later entry of the run whose home is not between the hole and it. */
	for (j = (i + 1) & (s->cap - 1); s->slot[j]; j = (j + 1) & (s->cap - 1)) {
		h = home(s, s->slot[j]);
		if (((j - h) & (s->cap - 1)) >= ((j - i) & (s->cap - 1))) {
			s->slot[i] = s->slot[j];
			i = j;
		}
	}
	s->slot[i] = 0;
	s->used--;
	return true;
}

void page_set_free(struct page_set *s)
{
	free(s->slot);
	*s = (struct page_set){ 0 };
}
