/* The seed rule, from its YAML as shipped in rules/, against in-memory
 * events: every selection and filter on its own, and the edge cases. */
#include "config.h"

#include "sigma_helpers.h"

#include "evtxhunt/builtin.h"

static struct eh_ruleset *seed;

static void setup(void)
{
	seed = eh_ruleset_new();
	cr_assert_eq(eh_builtin_rule_count, 1);
	eh_ruleset_load_text(seed, eh_builtin_rules[0].name, eh_builtin_rules[0].yaml, strlen(eh_builtin_rules[0].yaml));
	cr_assert_eq(eh_ruleset_error_count(seed), 0);
	cr_assert_eq(eh_ruleset_count(seed), 1);
	cr_assert_str_eq(eh_ruleset_rule(seed, 0)->id, "ce2c44b5-a6ac-412a-afba-9e89326fa972");
}

static void teardown(void)
{
	eh_ruleset_free(seed);
}

TestSuite(seed_rule, .init = setup, .fini = teardown);

/* A process creation with the usual fields; NULL values leave a field out. */
static bool hunt(const char *image, const char *ofn, const char *cmd, const char *cwd, const char *pcmd)
{
	struct eh_event ev;
	eh_event_init(&ev);
	eh_event_reset(&ev);
	eh_event_set_system(&ev, EH_SYS_PROVIDER, SYSMON, strlen(SYSMON));
	eh_event_set_system(&ev, EH_SYS_CHANNEL, SYSMON_CHANNEL, strlen(SYSMON_CHANNEL));
	const char *names[] = { "Image", "OriginalFileName", "CommandLine", "CurrentDirectory", "ParentCommandLine" };
	const char *values[] = { image, ofn, cmd, cwd, pcmd };
	for (int i = 0; i < 5; i++)
		if (values[i])
			eh_event_add_field(&ev, names[i], strlen(names[i]), values[i], strlen(values[i]));
	eh_event_finish(&ev);
	ev.event_id = 1;
	bool hit = matches(seed, &ev);
	eh_event_release(&ev);
	return hit;
}

#define REGSVR32 "C:\\Windows\\System32\\regsvr32.exe"
#define TEMP_DLL "C:\\Users\\bob\\AppData\\Local\\Temp\\a.dll"
#define CWD "C:\\Users\\bob\\"
#define PARENT "C:\\Windows\\explorer.exe"

Test(seed_rule, plain_hit_with_slash_s)
{
	cr_assert(hunt(REGSVR32, "REGSVR32.EXE", "regsvr32 /s " TEMP_DLL, CWD, PARENT));
}

Test(seed_rule, slash_e_instead_of_slash_s)
{
	cr_assert(hunt(REGSVR32, "REGSVR32.EXE", "regsvr32 /e " TEMP_DLL, CWD, PARENT));
}

Test(seed_rule, selection_image_by_image_alone)
{
	cr_assert(hunt(REGSVR32, NULL, "regsvr32 /s " TEMP_DLL, CWD, PARENT));
	cr_assert(hunt(REGSVR32, "", "regsvr32 /s " TEMP_DLL, CWD, PARENT));
}

Test(seed_rule, selection_image_by_original_file_name_alone)
{
	cr_assert(hunt("C:\\Users\\Public\\update.exe", "REGSVR32.EXE", "update /s " TEMP_DLL, CWD, PARENT));
	cr_assert_not(hunt("C:\\Users\\Public\\update.exe", "", "update /s " TEMP_DLL, CWD, PARENT));
	cr_assert_not(hunt("C:\\Users\\Public\\update.exe", NULL, "update /s " TEMP_DLL, CWD, PARENT));
	/* equality, not containment */
	cr_assert_not(hunt("C:\\x\\update.exe", "REGSVR32.EXE.MUI", "update /s " TEMP_DLL, CWD, PARENT));
}

Test(seed_rule, selection_image_needs_the_backslash)
{
	cr_assert_not(hunt("C:\\x\\notregsvr32.exe", "", "notregsvr32 /s " TEMP_DLL, CWD, PARENT));
}

Test(seed_rule, each_selection_alone_is_not_enough)
{
	cr_assert_not(hunt(REGSVR32, "REGSVR32.EXE", "regsvr32 " TEMP_DLL, CWD, PARENT));
	cr_assert_not(hunt("C:\\Windows\\notepad.exe", "NOTEPAD.EXE", "notepad /s x.txt", CWD, PARENT));
}

Test(seed_rule, case_variants)
{
	cr_assert(hunt("C:\\WINDOWS\\SYSTEM32\\REGSVR32.EXE", "", "REGSVR32 /S C:\\TEMP\\A.DLL", "C:\\TEMP\\", PARENT));
	cr_assert(hunt("c:\\windows\\system32\\regsvr32.exe", "", "regsvr32 /s c:\\temp\\a.dll", "c:\\temp\\", PARENT));
	cr_assert(hunt("C:\\Windows\\System32\\RegSvr32.Exe", "regsvr32.exe", "RegSvr32 /E x.dll", CWD, PARENT));
}

Test(seed_rule, slash_s_at_the_very_end_needs_a_space_after_it)
{
	cr_assert_not(hunt(REGSVR32, "REGSVR32.EXE", "regsvr32 " TEMP_DLL " /s", CWD, PARENT));
	cr_assert(hunt(REGSVR32, "REGSVR32.EXE", "regsvr32 " TEMP_DLL " /s ", CWD, PARENT));
}

Test(seed_rule, tab_or_no_break_space_is_not_a_space)
{
	cr_assert_not(hunt(REGSVR32, "REGSVR32.EXE", "regsvr32\t/s\t" TEMP_DLL, CWD, PARENT));
	cr_assert_not(hunt(REGSVR32, "REGSVR32.EXE", "regsvr32\xc2\xa0/s\xc2\xa0" TEMP_DLL, CWD, PARENT));
}

Test(seed_rule, filter_main_paths_in_command_line)
{
	const char *paths[] = { "C:\\Program Files (x86)\\V\\a.dll", "C:\\Program Files\\V\\a.dll",
				"C:\\Windows\\System32\\a.dll", "D:\\Windows\\SysWOW64\\a.dll" };
	for (int i = 0; i < 4; i++) {
		char cmd[256];
		snprintf(cmd, sizeof cmd, "regsvr32 /s %s", paths[i]);
		cr_assert_not(hunt(REGSVR32, "REGSVR32.EXE", cmd, CWD, PARENT), "%s", cmd);
	}
	/* "Program Files" without the backslash after it is not filtered */
	cr_assert(hunt(REGSVR32, "REGSVR32.EXE", "regsvr32 /s C:\\Program FilesX\\a.dll", CWD, PARENT));
}

Test(seed_rule, filter_main_paths_in_current_directory)
{
	const char *dirs[] = { "C:\\Program Files (x86)\\V\\", "C:\\Program Files\\V\\", "C:\\Windows\\System32\\",
			       "C:\\Windows\\SysWOW64\\" };
	for (int i = 0; i < 4; i++)
		cr_assert_not(hunt(REGSVR32, "REGSVR32.EXE", "regsvr32 /s a.dll", dirs[i], PARENT), "%s", dirs[i]);
	cr_assert(hunt(REGSVR32, "REGSVR32.EXE", "regsvr32 /s a.dll", NULL, PARENT), "absent directory: not filtered");
}

Test(seed_rule, filter_main_other_flags)
{
	cr_assert_not(hunt(REGSVR32, "", "regsvr32 /s /i:http://x/y.sct " TEMP_DLL, CWD, PARENT));
	cr_assert_not(hunt(REGSVR32, "", "regsvr32 /s /U " TEMP_DLL, CWD, PARENT));
	cr_assert_not(hunt(REGSVR32, "", "regsvr32 /s /u " TEMP_DLL, CWD, PARENT), "caseless");
	cr_assert(hunt(REGSVR32, "", "regsvr32 /s " TEMP_DLL " /U", CWD, PARENT), "'/U' needs a space after it");
}

#define RPC_PARENT "C:\\Windows\\System32\\svchost.exe -k RPCPROXY C:\\Windows\\System32\\RpcProxy\\RpcProxy.dll"

Test(seed_rule, rpcproxy_exception_exactly)
{
	cr_assert_not(hunt(REGSVR32, "", "regsvr32 /s rpcproxy.dll", CWD, RPC_PARENT));
	cr_assert_not(hunt(REGSVR32, "", "REGSVR32 /S RPCPROXY.DLL", CWD, RPC_PARENT), "equality is caseless");
}

Test(seed_rule, rpcproxy_near_misses)
{
	cr_assert(hunt(REGSVR32, "", "regsvr32 /s rpcproxy.dll ", CWD, RPC_PARENT), "trailing space");
	cr_assert(hunt(REGSVR32, "", " regsvr32 /s rpcproxy.dll", CWD, RPC_PARENT), "leading space");
	cr_assert(hunt(REGSVR32, "", "regsvr32 /s rpcproxy2.dll", CWD, RPC_PARENT), "other DLL");
	cr_assert(hunt(REGSVR32, "", "regsvr32 /s rpcproxy.dll", CWD, RPC_PARENT ".bak"), "parent does not end so");
	cr_assert(hunt(REGSVR32, "", "regsvr32 /s rpcproxy.dll", CWD, NULL), "no parent command line");
	cr_assert(hunt(REGSVR32, "", "regsvr32 /s rpcproxy.dll", CWD, "C:\\RpcProxy\\RpcProxy.dll"),
		  "endswith needs ':\\Windows\\System32\\'");
}

Test(seed_rule, only_process_creation_events)
{
	struct eh_event ev;
	make_event(&ev, "Microsoft-Windows-Kernel-Process", 1, "Image", REGSVR32, "CommandLine",
		   "regsvr32 /s " TEMP_DLL, NULL);
	cr_assert_not(matches(seed, &ev));
	eh_event_release(&ev);
	make_event(&ev, SYSMON, 10, "Image", REGSVR32, "CommandLine", "regsvr32 /s " TEMP_DLL, NULL);
	cr_assert_not(matches(seed, &ev));
	eh_event_release(&ev);
	cr_assert(eh_ruleset_wants(seed, SYSMON, 1));
	cr_assert_not(eh_ruleset_wants(seed, SYSMON, 10));
	cr_assert(eh_ruleset_wants(seed, "Microsoft-Windows-Security-Auditing", 4688), "4688 maps to process_creation");
	cr_assert_not(eh_ruleset_wants(seed, "Microsoft-Windows-Security-Auditing", 4624));
}
