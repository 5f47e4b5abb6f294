// OpenLDAP's client library (libldap-dev). Since OpenLDAP 2.5 libldap is thread-safe; the plugin
// still uses each connection from one thread at a time.
#include <ldap.h>
