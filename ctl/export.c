/* export: `cloisterctl export USER DIR` (placeholder replaced below). */
#include "ctl.h"

int
ctl_export(struct ctl_env *e, int argc, char **argv)
{
	(void)e;
	(void)argc;
	(void)argv;
	return ctl_fail(CTL_USAGE, "export: not built yet");
}
