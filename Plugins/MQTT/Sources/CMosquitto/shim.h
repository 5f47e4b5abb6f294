/* libmosquitto (Debian: libmosquitto-dev), for the MQTT plugin. */
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <sys/socket.h>
