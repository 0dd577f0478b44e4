// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only module for the VM harness's own tests: loading it writes to
 * a slab object after freeing it, which must make the run fail.  KASAN
 * reports the write itself; on a kernel booted with slub_debug=P the
 * poison it overwrites is reported when the object is handed out again,
 * which the second allocation from the same private cache forces.
 * Never installed.
 */
#include <linux/module.h>
#include <linux/slab.h>

/*
 * Destroyed only on unload, which the harness never does: slub marks a
 * slab whose poison was overwritten as fully used, and destroying the
 * cache then would add a WARN, which would prove nothing about the
 * report itself.
 */
static struct kmem_cache *cache;

static int __init cpns_selftest_uaf_init(void)
{
	u8 *p;
	u8 *q;

	cache = kmem_cache_create("cpns_selftest_uaf", 64, 0, 0, NULL);
	if (!cache)
		return -ENOMEM;
	p = kmem_cache_alloc(cache, GFP_KERNEL);
	if (!p) {
		kmem_cache_destroy(cache);
		return -ENOMEM;
	}
	kmem_cache_free(cache, p);
	OPTIMIZER_HIDE_VAR(p);
	p[8] = 0x5a;	/* the planted use-after-free */
	q = kmem_cache_alloc(cache, GFP_KERNEL);
	if (q)
		kmem_cache_free(cache, q);
	return 0;
}

static void __exit cpns_selftest_uaf_exit(void)
{
	kmem_cache_destroy(cache);
}

module_init(cpns_selftest_uaf_init);
module_exit(cpns_selftest_uaf_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("cpns VM harness self-test: deliberate slab use-after-free");
