// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only module for the VM harness's own tests: loading it raises a
 * kernel WARNING, which must make the run fail.  Never installed.
 */
#include <linux/bug.h>
#include <linux/module.h>

static int __init cpns_selftest_warn_init(void)
{
	WARN(1, "cpns harness self-test: deliberate warning\n");
	return 0;
}

static void __exit cpns_selftest_warn_exit(void)
{
}

module_init(cpns_selftest_warn_init);
module_exit(cpns_selftest_warn_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("cpns VM harness self-test: deliberate WARN");
