/* libespeak-ng (Debian: libespeak-ng-dev), the voice plugin's text-to-speech. */
#include <espeak-ng/speak_lib.h>
