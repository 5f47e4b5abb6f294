// The bodies of the core event kinds (`IncomingSMSEvent`, `MessageStatusEvent`, …) and the ABI's
// JSON conventions (`JSONCoding`) live in the core's `SwiftletEvents` target, which the gateway uses
// too; a plugin sees them through this SDK.
@_exported import SwiftletEvents
