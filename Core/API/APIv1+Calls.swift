import Foundation
import SwiftletDomain

/// Queued voice calls over APIv1: `ring_call`, `tts_call` and `tts_adv_call`.
///
/// They are not in the APIv1 reference of the seeds, but SMSEagle serves them and its own Nagios
/// plugin (`notify_eagle_sms.pl`) and Uptime Kuma call them: `to`, `duration` (default 10),
/// `message` (the TTS text), `voice_id` (`tts_adv_call`), `modem_no`. Clients test the answer for
/// `OK` (`OK;` in the Nagios plugin). Over JSON-RPC they are `phone.ring_call` and so on, as
/// `phone.call_with_termination` is: the method's last name part selects it.
extension APIv1 {
    /// `ring_call`: queues a wake-up call to each number in `to` (comma-separated), as APIv2
    /// `calls/ring` does; a modem dials it, lets it ring `duration` seconds and hangs up. Answers
    /// `OK; ID=…` per call once it is on disk.
    func ringCall(_ parameters: FormParameters, user: APIUser) async throws -> APIv1Reply {
        let numbers = try callRecipients(parameters)
        let seconds = try callDuration(parameters)
        var modem: Int?  // any ready modem, unless one is named
        if let given = parameters["modem_no"], !given.isEmpty {
            guard let number = Self.modemNumber(parameters), number <= modems.modemCount else {
                return .error(Self.modemNotRecognized)
            }
            modem = number
        }
        let ids = try await outbox.ring(numbers, seconds: seconds, modemNumber: modem, createdBy: user.name)
        return .queued(ids)
    }

    /// `tts_call` and `tts_adv_call`: the request is checked as SMSEagle checks it, then a
    /// text-to-speech call per number is queued for a voice provider (a plugin); while none runs the
    /// answer says so. Answers `OK; ID=…` per call once it is on disk.
    func ttsCall(_ parameters: FormParameters, user: APIUser, advanced: Bool) async throws -> APIv1Reply {
        let numbers = try callRecipients(parameters)
        let seconds = try callDuration(parameters)
        guard let text = parameters["message"] ?? parameters["text"], !text.isEmpty else {
            throw Refusal(.wrongParameters, because: "message: required, what the call says")
        }
        var voice: Int?
        if advanced {
            guard let given = parameters["voice_id"], let id = Int(given), id >= 1 else {
                throw Refusal(.wrongParameters, because: "voice_id: required, a voice model's number")
            }
            voice = id
        }
        do {
            let ids = try await outbox.call(
                numbers,
                VoiceCall(text: text, seconds: seconds, voice: voice),
                createdBy: user.name
            )
            return .queued(ids)
        } catch let error as SwiftletError where error.kind == .unavailable {
            throw Refusal(.error(Self.noVoicePluginText), because: "no voice plugin is enabled")
        }
    }

    static let noVoicePluginText =
        "Text-to-speech calls need a voice plugin (SIP/TTS), and none is enabled on this gateway"

    /// The numbers of `to`, comma-separated.
    private func callRecipients(_ parameters: FormParameters) throws -> [String] {
        let numbers = (parameters["to"] ?? "").split(separator: ",").map { Self.number(String($0)) }
        guard !numbers.isEmpty, numbers.allSatisfy({ PhoneNumber($0) != nil }) else {
            throw Refusal(.error("Wrong or missing >>to<< parameter"), because: "to: not a telephone number")
        }
        return numbers
    }

    /// `duration`: 1–600 seconds, 10 when absent (as SMSEagle's plugins default it).
    private func callDuration(_ parameters: FormParameters) throws -> Int {
        guard let text = parameters["duration"], !text.isEmpty else { return 10 }
        guard let seconds = Int(text), Self.callDurations.contains(seconds) else {
            throw Refusal(.error("Wrong or missing >>duration<< parameter"), because: "duration: 1 to 600 seconds")
        }
        return seconds
    }
}
