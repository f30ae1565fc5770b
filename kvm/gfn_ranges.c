// SPDX-License-Identifier: MIT
/*
 * A set of GFNs as disjoint, coalesced ranges [start, end) in a treap
 * keyed by start: KVM_SET_MEMORY_ATTRIBUTES on a layout fragmented into
 * thousands of ranges costs O(log n) plus the ranges it removes, where a
 * sorted array cost O(n) for every call.  Lookups are one walk from the root.
 */
#include "kvm_internal.h"

#include <stdlib.h>

struct gfn_range {
	u64 start, end;
	u32 prio;			/* a heap on these keeps the tree balanced */
	struct gfn_range *left, *right;
};

/* Splits @t into the ranges that start below @key (*@lo) and the rest (*@hi). */
static void split(struct gfn_range *t, u64 key, struct gfn_range **lo, struct gfn_range **hi)
{
	if (!t) {
		*lo = *hi = NULL;
	} else if (t->start < key) {
		split(t->right, key, &t->right, hi);
		*lo = t;
	} else {
		split(t->left, key, lo, &t->left);
		*hi = t;
	}
}

/* Joins two trees whose ranges all lie in @lo before all of @hi. */
static struct gfn_range *merge(struct gfn_range *lo, struct gfn_range *hi)
{
	if (!lo || !hi)
		return lo ? lo : hi;
	if (lo->prio > hi->prio) {
		lo->right = merge(lo->right, hi);
		return lo;
	}
	hi->left = merge(lo, hi->left);
	return hi;
}

static struct gfn_range *rightmost(struct gfn_range *t)
{
	while (t && t->right)
		t = t->right;
	return t;
}

static struct gfn_range *leftmost(struct gfn_range *t)
{
	while (t && t->left)
		t = t->left;
	return t;
}

/* @t without its first range (which the caller frees). */
static struct gfn_range *drop_first(struct gfn_range *t)
{
	if (!t->left)
		return t->right;
	t->left = drop_first(t->left);
	return t;
}

static void free_tree(struct gfn_range *t)
{
	while (t) {
		struct gfn_range *right = t->right;

		free_tree(t->left);
		free(t);
		t = right;
	}
}

static struct gfn_range *new_range(struct kvm_attr_ranges *a)
{
	struct gfn_range *r = calloc(1, sizeof(*r));

	if (r) {
		/* xorshift32: priorities need only be independent of the keys */
		if (!a->seed)
			a->seed = 0x9E3779B9;
		a->seed ^= a->seed << 13;
		a->seed ^= a->seed >> 17;
		a->seed ^= a->seed << 5;
		r->prio = a->seed;
	}
	return r;
}

int gfn_ranges_set(struct kvm_attr_ranges *a, u64 start, u64 end, bool in)
{
	struct gfn_range *fresh = new_range(a), *tail = new_range(a);
	struct gfn_range *lo, *mid, *hi, *last, *first;

	if (!fresh || !tail) {
		free(fresh);
		free(tail);
		return -ENOMEM;
	}
	split(a->root, start, &lo, &mid);
	split(mid, end, &mid, &hi);
	/* A range reaching past @end keeps its part beyond; at most one does. */
	last = rightmost(mid) ? rightmost(mid) : rightmost(lo);
	if (last && last->end > end) {
		*tail = (struct gfn_range){ .start = end, .end = last->end, .prio = tail->prio };
		hi = merge(tail, hi);
		tail = NULL;
	}
	free_tree(mid);
	last = rightmost(lo);
	if (last && last->end > start)
		last->end = start;
	if (in) {
		if (last && last->end == start) {
			last->end = end;
		} else {
			*fresh = (struct gfn_range){ .start = start, .end = end, .prio = fresh->prio };
			lo = merge(lo, fresh);
			last = fresh;
			fresh = NULL;
		}
		first = leftmost(hi);
		if (first && first->start == end) {
			last->end = first->end;
			hi = drop_first(hi);
			free(first);
		}
	}
	a->root = merge(lo, hi);
	free(fresh);
	free(tail);
	return 0;
}

bool gfn_ranges_next(const struct kvm_attr_ranges *a, u64 from, u64 *start, u64 *end)
{
	const struct gfn_range *pred = NULL, *succ = NULL, *t = a->root;

	while (t) {
		if (t->start <= from) {
			pred = t;
			t = t->right;
		} else {
			succ = t;
			t = t->left;
		}
	}
	if (pred && pred->end > from)
		succ = pred;
	if (!succ)
		return false;
	*start = succ->start;
	*end = succ->end;
	return true;
}

bool gfn_ranges_contains(const struct kvm_attr_ranges *a, u64 gfn)
{
	u64 start, end;

	return gfn_ranges_next(a, gfn, &start, &end) && start <= gfn;
}

void gfn_ranges_clear(struct kvm_attr_ranges *a)
{
	free_tree(a->root);
	a->root = NULL;
}
