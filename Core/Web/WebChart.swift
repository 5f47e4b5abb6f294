import Foundation

/// Charts drawn on the server as SVG: numbers only go into them, so they need no escaping and no
/// script.
enum WebChart {
    /// Messages per hour over the last 24 hours: sent and received side by side, the latest hour on
    /// the right.
    static func hourly(sent: [Int], received: [Int]) -> String {
        let width = 720
        let height = 160
        let top = max(1, (sent + received).max() ?? 1)
        let slot = width / max(sent.count, 1)
        var bars: [String] = []
        for (index, (out, into)) in zip(sent, received).enumerated() {
            let x = index * slot
            let outHeight = out * (height - 20) / top
            let inHeight = into * (height - 20) / top
            bars.append(
                "<rect class=\"sent\" x=\"\(x + 2)\" y=\"\(height - 20 - outHeight)\" width=\"\(slot / 2 - 2)\" height=\"\(outHeight)\"><title>\(out) sent</title></rect>"
            )
            bars.append(
                "<rect class=\"received\" x=\"\(x + slot / 2)\" y=\"\(height - 20 - inHeight)\" width=\"\(slot / 2 - 2)\" height=\"\(inHeight)\"><title>\(into) received</title></rect>"
            )
        }
        return """
            <svg class="chart" viewBox="0 0 \(width) \(height)" role="img" aria-label="Messages per hour, last 24 hours: \
            \(sent.reduce(0, +)) sent, \(received.reduce(0, +)) received">\
            \(bars.joined())\
            <line x1="0" y1="\(height - 20)" x2="\(width)" y2="\(height - 20)" class="axis"/>\
            <text x="0" y="\(height - 4)">24 h ago</text><text x="\(width)" y="\(height - 4)" text-anchor="end">now</text>\
            <text x="\(width)" y="12" text-anchor="end">max \(top) per hour</text></svg>
            """
    }

    /// A sensor's readings from `from` to `to` as a line, with the lowest and highest value named.
    static func line(_ points: [(at: Date, value: Double)], from: Date, to: Date, unit: String) -> String {
        let width = 720.0
        let height = 160.0
        let span = max(to.timeIntervalSince(from), 1)
        guard let low = points.map(\.value).min(), let high = points.map(\.value).max() else {
            return "<p>No readings in the last 24 hours.</p>"
        }
        let range = max(high - low, 0.1)
        let path = points.map { point in
            let x = (point.at.timeIntervalSince(from) / span * width).rounded()
            let y = (height - 20 - (point.value - low) / range * (height - 40)).rounded()
            return "\(Int(x)),\(Int(y))"
        }
        .joined(separator: " ")
        let label = String(format: "%.1f", low) + "–" + String(format: "%.1f", high) + (unit.isEmpty ? "" : " " + unit)
        return """
            <svg class="chart" viewBox="0 0 \(Int(width)) \(Int(height))" role="img" aria-label="Last 24 hours: \(label)">\
            <polyline class="reading" fill="none" points="\(path)"/>\
            <line x1="0" y1="\(Int(height) - 20)" x2="\(Int(width))" y2="\(Int(height) - 20)" class="axis"/>\
            <text x="0" y="\(Int(height) - 4)">24 h ago</text><text x="\(Int(width))" y="\(Int(height) - 4)" text-anchor="end">now</text>\
            <text x="\(Int(width))" y="12" text-anchor="end">\(label)</text></svg>
            """
    }
}
