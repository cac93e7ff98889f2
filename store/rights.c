/* rights: the store-op lines of every service's policy (see rights.h). */
#include "rights.h"
#include "log.h"
#include "policy.h"

#include <string.h>

#define MAX_SVC (CONFIG_MAX_SERVICES + 1)
struct svc {
	char name[CONFIG_NAME_MAX];
	bool may[RIGHTS_TYPE_SLOTS];
};
static struct svc svcs[MAX_SVC];   /* [0]: unknown service, nothing */
static unsigned nsvcs = 1;

void
rights_load(const struct config *c)
{
	static struct policy p;
	char err[POLICY_ERR_MAX];
	for (size_t i = 0; i < c->nservices; i++) {
		const struct config_service *s = &c->services[i];
		if (s->role == ROLE_STORE || s->policy[0] == '\0')
			continue;
		if (policy_load(s->policy, POLICY_DEFAULT_FLAGS, &p, err,
		    sizeof(err)) < 0)
			log_fatal("policy: %s", err);
		struct svc *v = &svcs[nsvcs++];
		memcpy(v->name, s->name, sizeof(v->name));
		for (size_t k = 0; k < p.nstore_ops; k++)
			if (p.store_ops[k] < RIGHTS_TYPE_SLOTS)
				v->may[p.store_ops[k]] = true;
	}
}

unsigned
rights_service(const char *name)
{
	for (unsigned i = 1; i < nsvcs; i++)
		if (strcmp(svcs[i].name, name) == 0)
			return i;
	return 0;
}

bool
rights_may(unsigned svc, uint32_t type)
{
	return svc < nsvcs && type < RIGHTS_TYPE_SLOTS && svcs[svc].may[type];
}
