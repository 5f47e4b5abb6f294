// libmodbus (libmodbus-dev, 3.1.6 in Debian 12): Modbus TCP and RTU registers of industrial sensors
// and PLCs.
#include <modbus/modbus.h>
