import Foundation
import Testing

@testable import SwiftletDomain

@Suite("Shifts: when someone is on duty")
struct ShiftTests {
    var calendar: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Europe/Stockholm")!
        return calendar
    }

    /// 2026-11-23 is a Monday.
    func date(_ text: String) -> Date {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        formatter.timeZone = calendar.timeZone
        return formatter.date(from: text)!
    }

    func shift(_ days: [Int: (String, String)], enabled: Bool = true) -> Shift {
        Shift(
            id: 1,
            name: "s",
            enabled: enabled,
            days: (0..<7).map { days[$0].flatMap { DayHours(from: $0.0, to: $0.1) } }
        )
    }

    @Test func onDutyNowMeansNow() {
        let office = shift([0: ("08:00", "16:00")])
        #expect(
            Shift.nextOnDuty(after: date("2026-11-23 09:30"), in: [office], calendar: calendar)
                == date("2026-11-23 09:30")
        )
    }

    @Test func offDutyWaitsForTheNextStart() {
        let office = shift([0: ("08:00", "16:00"), 2: ("09:00", "20:00")])
        #expect(
            Shift.nextOnDuty(after: date("2026-11-23 16:00"), in: [office], calendar: calendar)
                == date("2026-11-25 09:00")
        )
        #expect(
            Shift.nextOnDuty(after: date("2026-11-25 21:00"), in: [office], calendar: calendar)
                == date("2026-11-30 08:00")
        )
    }

    @Test func aNightShiftRunsPastMidnight() {
        let night = shift([6: ("22:00", "06:00")])  // Sunday night
        #expect(
            Shift.nextOnDuty(after: date("2026-11-30 05:59"), in: [night], calendar: calendar)
                == date("2026-11-30 05:59")
        )
        #expect(
            Shift.nextOnDuty(after: date("2026-11-30 06:00"), in: [night], calendar: calendar)
                == date("2026-12-06 22:00")
        )
    }

    @Test func theEarliestOfSeveralShiftsWinsAndDisabledOnesDoNotCount() {
        let late = shift([1: ("12:00", "18:00")])
        let early = shift([1: ("07:00", "09:00")])
        let disabled = shift([1: ("06:00", "07:00")], enabled: false)
        #expect(
            Shift.nextOnDuty(after: date("2026-11-23 20:00"), in: [late, early, disabled], calendar: calendar)
                == date("2026-11-24 07:00")
        )
        #expect(Shift.nextOnDuty(after: date("2026-11-23 20:00"), in: [disabled], calendar: calendar) == nil)
        #expect(Shift.nextOnDuty(after: date("2026-11-23 20:00"), in: [shift([:])], calendar: calendar) == nil)
    }

    @Test func timesOfDayAreChecked() {
        #expect(DayHours.minutes("08:30") == 510)
        #expect(DayHours.minutes("23:59:59") == 1439)
        #expect(DayHours.minutes("24:00") == nil)
        #expect(DayHours.minutes("8:30") == nil)
        #expect(DayHours.minutes("08:3x") == nil)
        #expect(DayHours.text(510) == "08:30")
    }
}

@Suite("Send windows (send_after, send_before)")
struct DayWindowTests {
    let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    func at(_ hour: Int, _ minute: Int = 0, day: Int = 23) -> Date {
        calendar.date(from: DateComponents(year: 2026, month: 11, day: day, hour: hour, minute: minute))!
    }

    @Test func insideTheWindowIsNow() {
        #expect(DayWindow(after: 8 * 60, before: 20 * 60).next(from: at(12), calendar: calendar) == at(12))
    }

    @Test func beforeTheWindowWaitsForItsStartAndAfterItForTomorrows() {
        let day = DayWindow(after: 8 * 60, before: 20 * 60)
        #expect(day.next(from: at(6), calendar: calendar) == at(8))
        #expect(day.next(from: at(20), calendar: calendar) == at(8, day: 24))
    }

    @Test func aWindowOverMidnightAndOneSidedWindows() {
        let night = DayWindow(after: 22 * 60, before: 6 * 60)
        #expect(night.next(from: at(23), calendar: calendar) == at(23))
        #expect(night.next(from: at(3), calendar: calendar) == at(3))
        #expect(night.next(from: at(12), calendar: calendar) == at(22))
        #expect(DayWindow(after: 9 * 60, before: nil).next(from: at(7), calendar: calendar) == at(9))
        #expect(DayWindow(after: nil, before: 9 * 60).next(from: at(10), calendar: calendar) == at(0, day: 24))
    }
}
