// SPDX-License-Identifier: MIT
/*
 * The module's shared/exclusive locks.  They are only ever tried: a SEAMCALL
 * that cannot take a lock returns TDX_OPERAND_BUSY instead of waiting, which
 * is what lets the host retry without ever deadlocking inside the module.
 */
#include "module_internal.h"

bool sharex_trylock(sharex_lock_t *l, enum lock_mode mode)
{
	u16 old = atomic_load_explicit(l, memory_order_relaxed);

	if (mode == LOCK_EXCLUSIVE) {
		old = 0;
		return atomic_compare_exchange_strong_explicit(
			l, &old, SHAREX_EXCLUSIVE, memory_order_acquire,
			memory_order_relaxed);
	}
	do {
		if (old & SHAREX_EXCLUSIVE || old == SHAREX_EXCLUSIVE - 1)
			return false;
	} while (!atomic_compare_exchange_weak_explicit(l, &old, old + 1,
							memory_order_acquire,
							memory_order_relaxed));
	return true;
}

void sharex_unlock(sharex_lock_t *l, enum lock_mode mode)
{
	if (mode == LOCK_EXCLUSIVE)
		atomic_store_explicit(l, 0, memory_order_release);
	else
		atomic_fetch_sub_explicit(l, 1, memory_order_release);
}
