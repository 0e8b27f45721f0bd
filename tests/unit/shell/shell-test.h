#pragma once

/* Shared by the lifeline-shell unit tests. */

#include <check.h>
#include <string.h>

#include "control-event.h"
#include "state.h"
#include "tools.h"

/* Each test file defines its suite; test-main.c runs it. */
Suite *test_suite(void);

static inline void test_state_init(struct shell_state *st)
{
	size_t n;
	const struct shell_tool *tools = shell_tools_builtin(&n);

	shell_state_init(st, tools, n);
}

static inline int test_tool(const char *id)
{
	size_t n;
	const struct shell_tool *tools = shell_tools_builtin(&n);

	return shell_tools_find(tools, n, id);
}

/* A control event as the server sends it, parsed by the real parser. */
static inline struct shell_control_event test_event(const char *line)
{
	struct shell_control_event ev;

	ck_assert_int_eq(shell_control_parse(line, strlen(line), &ev), 0);
	return ev;
}

#define TEST_INFO                                                                              \
	"\"info\":{\"ticket\":\"482-915-307\",\"port\":51234,\"addresses\":[\"192.168.1.20\"," \
	"\"fd00::20\"],\"security\":\"nla\",\"user\":\"helpdesk\","                            \
	"\"sha256_fingerprint\":\"3F:A2:19:C4:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:"   \
	"FF:00:11:22:33:44:55:66:77:88:01:7B:E2\",\"sha1_thumbprint\":\"AA\","                 \
	"\"hostname\":\"recovery-pc\",\"xfreerdp\":\"xfreerdp /v:192.168.1.20:51234\"}"
