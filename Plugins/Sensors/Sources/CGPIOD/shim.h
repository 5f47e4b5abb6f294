// libgpiod (libgpiod-dev): the GPIO character device. Debian 12 ships the v1 API (1.6); the plugin
// keeps it behind `GPIOLine` (DigitalIO.swift), because libgpiod 2 changed the API.
#include <gpiod.h>
