/* Compiled by the tests as C99 and as C++17 with -Wall -Wextra -pedantic -Werror: the header must
 * compile cleanly in both, and the layout of ABI 1.0 to 1.4 (x86-64 / aarch64, LP64) must never change. */
#include "swiftlet_plugin.h"

#define CHECK(name, condition) typedef char name[(condition) ? 1 : -1]

CHECK(plugin_size, sizeof(swiftlet_plugin) == 72);
CHECK(plugin_create, offsetof(swiftlet_plugin, create) == 24);
CHECK(plugin_start, offsetof(swiftlet_plugin, start) == 32);
CHECK(plugin_handle_event, offsetof(swiftlet_plugin, handle_event) == 40);
CHECK(plugin_stop, offsetof(swiftlet_plugin, stop) == 48);
CHECK(plugin_destroy, offsetof(swiftlet_plugin, destroy) == 56);
CHECK(plugin_handle_request, offsetof(swiftlet_plugin, handle_request) == 64); /* 1.4 */
CHECK(host_api_size, sizeof(swiftlet_host_api) == 192);
CHECK(host_api_version, offsetof(swiftlet_host_api, host_version) == 8);
CHECK(host_api_log, offsetof(swiftlet_host_api, log) == 24);
CHECK(host_api_send_sms, offsetof(swiftlet_host_api, send_sms) == 32);
CHECK(host_api_subscribe, offsetof(swiftlet_host_api, subscribe) == 72);
CHECK(host_api_timer_cancel, offsetof(swiftlet_host_api, timer_cancel) == 120);
CHECK(host_api_register_rule_kind, offsetof(swiftlet_host_api, register_rule_kind) == 128); /* 1.1 */
CHECK(host_api_publish_and_wait, offsetof(swiftlet_host_api, publish_and_wait) == 136); /* 1.2 */
CHECK(host_api_report_health, offsetof(swiftlet_host_api, report_health) == 144);       /* 1.2 */
CHECK(host_api_login_attempt, offsetof(swiftlet_host_api, login_attempt) == 152);       /* 1.3 */
CHECK(host_api_register_provider, offsetof(swiftlet_host_api, register_provider) == 160); /* 1.4 */
CHECK(host_api_status_snapshot, offsetof(swiftlet_host_api, status_snapshot) == 168);     /* 1.4 */
CHECK(host_api_report_metric, offsetof(swiftlet_host_api, report_metric) == 176);         /* 1.4 */
CHECK(host_api_report_delivery, offsetof(swiftlet_host_api, report_delivery) == 184);     /* 1.5 */
CHECK(str_size, sizeof(swiftlet_str) == 16);

SWIFTLET_PLUGIN_IDENTITY("layout", "1.0.0");

int swiftlet_abi_layout_checked(void) { return SWIFTLET_ABI_VERSION_CURRENT == SWIFTLET_ABI_VERSION_1_5; }
