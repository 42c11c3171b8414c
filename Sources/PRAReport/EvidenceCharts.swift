import Foundation

/// The production-evidence charts, drawn with ``SVGChart``'s pieces: the recoverable point's
/// age over the period against the RPO target, and availability day by day.
///
/// Like the drill charts they read without colour: windows over the target are hatched and
/// labelled with their length, downtime is hatched and labelled per day, unknown time (no
/// sample) is grey with dots and named in the legend.
enum EvidenceCharts {
    /// One slice of the exposure chart.
    struct AgeSlice {
        var start: Date
        var end: Date
        var age: Double?
    }

    /// One stretch of the availability chart.
    struct StateSlice {
        enum State { case up, down, unknown }
        var start: Date
        var end: Date
        var state: State
    }

    static let unknownFill = "#eeeeee"
    static let upFill = "#8fbf8f"

    /// Grey with dark dots: time without a status sample.
    static func unknownPattern(id: String) -> String {
        "<pattern id=\"\(id)-unknown\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\"><rect width=\"6\" height=\"6\" fill=\"\(unknownFill)\"/><circle cx=\"3\" cy=\"3\" r=\"1\" fill=\"#777\"/></pattern>"
    }

    /// The worst recoverable-point age per slice as a stepped line over the period, the target
    /// as a dashed line, windows over the target hatched (at least 6 px wide, so a two-hour
    /// window shows on a month) and labelled with their length, slices without a sample grey.
    static func exposure(id: String, title: String, slices: [AgeSlice], windows: [(start: Date, end: Date, label: String)], target: Double, start: Date, end: Date) -> String {
        let plot = ExposurePlot(id: id, start: start, end: end, worst: slices.compactMap(\.age).max() ?? 0, target: target)
        var svg = SVGChart.open(id: id, title: title, height: plot.height)
        svg += "<defs>" + String(SVGChart.patterns(id: id).dropFirst(6).dropLast(7)) + unknownPattern(id: id) + "</defs>"
        svg += plot.unknownSlices(slices)  // first, under everything
        svg += plot.windowsOverTarget(windows)
        svg += plot.axes(timeLabels: timeLabels(start: start, end: end))
        svg += plot.ageLine(slices)
        svg += plot.targetLine()
        svg += plot.legend()
        return svg + "</svg>"
    }

    /// The geometry of the exposure chart and its layers.
    struct ExposurePlot {
        let id: String
        let start: Date
        let target: Double
        let left = 78.0, right = 24.0, top = 44.0, plotHeight = 200.0
        let plotWidth: Double
        let span: Double
        let maximum: Double
        let ticks: [Double]
        var plotBottom: Double { top + plotHeight }
        var height: Double { plotBottom + 70 }
        let n = SVGChart.n

        init(id: String, start: Date, end: Date, worst: Double, target: Double) {
            self.id = id
            self.start = start
            self.target = target
            plotWidth = SVGChart.width - left - right
            span = max(end.timeIntervalSince(start), 1)
            let top = max(worst * 1.08, target * 1.3, 1)
            ticks = SVGChart.durationTicks(upTo: top)
            maximum = max(top, ticks.last ?? top)
        }

        func x(_ date: Date) -> Double { left + plotWidth * min(max(date.timeIntervalSince(start) / span, 0), 1) }
        func y(_ value: Double) -> Double { plotBottom - plotHeight * min(max(value, 0), maximum) / maximum }

        /// Runs of slices without a sample, dotted grey.
        func unknownSlices(_ slices: [AgeSlice]) -> String {
            var svg = ""
            var unknownStart: Date?
            for (index, slice) in slices.enumerated() {
                if slice.age == nil, unknownStart == nil { unknownStart = slice.start }
                let closes = slice.age != nil || index == slices.count - 1
                if closes, let from = unknownStart {
                    let to = slice.age != nil ? slice.start : slice.end
                    svg += "<rect x=\"\(n(x(from)))\" y=\"\(n(top))\" width=\"\(n(max(x(to) - x(from), 1)))\" height=\"\(n(plotHeight))\" fill=\"url(#\(id)-unknown)\"><title>\(HTMLEscaping.text("no status sample from \(ComplianceFormat.dateTime(from)) to \(ComplianceFormat.dateTime(to))"))</title></rect>"
                    unknownStart = nil
                }
            }
            return svg
        }

        /// Windows over the target, hatched, labelled above the plot where labels do not collide.
        func windowsOverTarget(_ windows: [(start: Date, end: Date, label: String)]) -> String {
            var svg = ""
            var lastLabelRight = -Double.infinity
            for window in windows {
                let x1 = x(window.start), x2 = max(x(window.end), x1 + 6)
                svg += "<rect x=\"\(n(x1))\" y=\"\(n(top))\" width=\"\(n(x2 - x1))\" height=\"\(n(plotHeight))\" fill=\"url(#\(id)-over)\" opacity=\"0.55\" stroke=\"\(SVGChart.overInk)\" stroke-width=\"1\"><title>\(HTMLEscaping.text(window.label))</title></rect>"
                let centre = (x1 + x2) / 2
                let text = "✗ " + SVGChart.truncate(window.label, 28)
                let estimated = Double(text.count) * 6.4
                if centre - estimated / 2 > lastLabelRight + 4 {
                    let anchorX = min(max(centre, left + estimated / 2), left + plotWidth - estimated / 2)
                    svg += SVGChart.text(text, x: anchorX, y: top - 8, size: 11.5, anchor: "middle", fill: SVGChart.overInk, weight: "bold", tooltip: window.label)
                    lastLabelRight = anchorX + estimated / 2
                }
            }
            return svg
        }

        /// Grid, axes and time labels.
        func axes(timeLabels: [(date: Date, text: String)]) -> String {
            var svg = ""
            for tick in ticks {
                svg += SVGChart.line(left, y(tick), left + plotWidth, y(tick), stroke: "#d8d8d8", width: 1)
                svg += SVGChart.text(ComplianceFormat.duration(tick), x: left - 8, y: y(tick) + 4, size: 11, anchor: "end", fill: "#444")
            }
            svg += SVGChart.line(left, top, left, plotBottom, stroke: SVGChart.ink, width: 1)
            svg += SVGChart.line(left, plotBottom, left + plotWidth, plotBottom, stroke: SVGChart.ink, width: 1)
            for label in timeLabels {
                svg += SVGChart.line(x(label.date), plotBottom, x(label.date), plotBottom + 4, stroke: SVGChart.ink, width: 1)
                svg += SVGChart.text(label.text, x: x(label.date), y: plotBottom + 17, size: 11, anchor: "middle", fill: "#444")
            }
            return svg
        }

        /// The age, as steps; a slice without a sample breaks the line.
        func ageLine(_ slices: [AgeSlice]) -> String {
            var svg = ""
            var segment: [String] = []
            func flush() {
                if !segment.isEmpty {
                    svg += "<polyline points=\"\(segment.joined(separator: " "))\" fill=\"none\" stroke=\"\(SVGChart.measuredFill)\" stroke-width=\"1.6\"/>"
                }
                segment = []
            }
            for slice in slices {
                guard let age = slice.age else { flush(); continue }
                segment.append("\(n(x(slice.start))),\(n(y(age)))")
                segment.append("\(n(x(slice.end))),\(n(y(age)))")
            }
            flush()
            return svg
        }

        func targetLine() -> String {
            SVGChart.line(left, y(target), left + plotWidth, y(target), stroke: SVGChart.targetInk, width: 2, dash: "6 4")
                + SVGChart.text("RPO target \(ComplianceFormat.duration(target))", x: left + plotWidth - 4, y: y(target) - 6, size: 12, anchor: "end", fill: SVGChart.targetInk, weight: "bold")
        }

        func legend() -> String {
            let legendY = plotBottom + 36
            var lx = left
            var svg = SVGChart.line(lx, legendY + 6, lx + 22, legendY + 6, stroke: SVGChart.measuredFill, width: 2)
            svg += SVGChart.text("worst age of the newest recoverable point", x: lx + 28, y: legendY + 10, size: 11, anchor: "start", fill: SVGChart.ink)
            lx += 290
            svg += "<rect x=\"\(n(lx))\" y=\"\(n(legendY))\" width=\"22\" height=\"12\" fill=\"url(#\(id)-over)\" stroke=\"\(SVGChart.overInk)\"/>"
            svg += SVGChart.text("over the target (hatched)", x: lx + 28, y: legendY + 10, size: 11, anchor: "start", fill: SVGChart.ink)
            lx += 185
            svg += "<rect x=\"\(n(lx))\" y=\"\(n(legendY))\" width=\"22\" height=\"12\" fill=\"url(#\(id)-unknown)\" stroke=\"#777\"/>"
            svg += SVGChart.text("no status sample (unknown)", x: lx + 28, y: legendY + 10, size: 11, anchor: "start", fill: SVGChart.ink)
            lx += 200
            svg += SVGChart.line(lx, legendY + 6, lx + 22, legendY + 6, stroke: SVGChart.targetInk, width: 2, dash: "6 4")
            svg += SVGChart.text("target", x: lx + 28, y: legendY + 10, size: 11, anchor: "start", fill: SVGChart.ink)
            return svg
        }
    }

    /// Availability as one strip per day (per several days over a long period), 00:00 to 24:00
    /// UTC across: up pale green, down hatched red (at least 3 px, so a minute shows), unknown
    /// grey with dots; each strip with downtime says how much at its right.
    static func availability(id: String, title: String, slices: [StateSlice], start: Date, end: Date) -> String {
        let width = SVGChart.width
        let labelWidth = 92.0, noteWidth = 130.0, top = 30.0, rowHeight = 13.0, rowGap = 4.0
        let plotLeft = labelWidth, plotWidth = width - labelWidth - noteWidth
        let dayStart = floor(start.timeIntervalSince1970 / 86400) * 86400
        let totalDays = max(1, Int(ceil((end.timeIntervalSince1970 - dayStart) / 86400)))
        let daysPerRow = max(1, Int(ceil(Double(totalDays) / 62)))
        let rowSeconds = Double(daysPerRow) * 86400
        let rows = Int(ceil(Double(totalDays) / Double(daysPerRow)))
        let plotBottom = top + Double(rows) * (rowHeight + rowGap)
        let height = plotBottom + 46
        let n = SVGChart.n

        var svg = SVGChart.open(id: id, title: title, height: height)
        svg += "<defs>" + String(SVGChart.patterns(id: id).dropFirst(6).dropLast(7)) + unknownPattern(id: id) + "</defs>"
        // Hours across the top.
        let hourMarks = daysPerRow == 1 ? [0, 6, 12, 18, 24] : Array(0...daysPerRow).map { $0 * 24 }
        for hour in hourMarks {
            let hx = plotLeft + plotWidth * Double(hour) * 3600 / rowSeconds
            svg += SVGChart.line(hx, top - 4, hx, plotBottom - rowGap, stroke: "#bbbbbb", width: 1, dash: hour == 0 || hour == hourMarks.last ? nil : "2 3")
            svg += SVGChart.text(daysPerRow == 1 ? String(format: "%02d:00", hour) : "day \(hour / 24)", x: hx, y: top - 8, size: 10.5, anchor: "middle", fill: "#444")
        }
        for row in 0..<rows {
            let rowStart = dayStart + Double(row) * rowSeconds
            let y = top + Double(row) * (rowHeight + rowGap)
            svg += SVGChart.text(ComplianceFormat.day(Date(timeIntervalSince1970: rowStart)), x: labelWidth - 8, y: y + rowHeight - 2, size: 10.5, anchor: "end", fill: SVGChart.ink)
            var down = 0.0
            for slice in slices {
                let from = max(slice.start.timeIntervalSince1970, rowStart), to = min(slice.end.timeIntervalSince1970, rowStart + rowSeconds)
                guard to > from else { continue }
                let x1 = plotLeft + plotWidth * (from - rowStart) / rowSeconds
                var w = plotWidth * (to - from) / rowSeconds
                let fill: String
                switch slice.state {
                case .up: fill = upFill
                case .down: fill = "url(#\(id)-over)"; w = max(w, 3); down += to - from
                case .unknown: fill = "url(#\(id)-unknown)"
                }
                let label = "\(slice.state == .up ? "up" : slice.state == .down ? "down" : "no status sample (unknown)") from \(ComplianceFormat.dateTime(Date(timeIntervalSince1970: from))) to \(ComplianceFormat.dateTime(Date(timeIntervalSince1970: to)))"
                svg += "<rect x=\"\(n(x1))\" y=\"\(n(y))\" width=\"\(n(max(w, 0.5)))\" height=\"\(n(rowHeight))\" fill=\"\(fill)\"\(slice.state == .down ? " stroke=\"\(SVGChart.overInk)\" stroke-width=\"1\"" : "")><title>\(HTMLEscaping.text(label))</title></rect>"
            }
            svg += "<rect x=\"\(n(plotLeft))\" y=\"\(n(y))\" width=\"\(n(plotWidth))\" height=\"\(n(rowHeight))\" fill=\"none\" stroke=\"#999\" stroke-width=\"0.6\"/>"
            if down > 0 {
                svg += SVGChart.text("✗ \(ComplianceFormat.duration(down)) down", x: plotLeft + plotWidth + 8, y: y + rowHeight - 2, size: 11, anchor: "start", fill: SVGChart.overInk, weight: "bold")
            }
        }
        let legendY = plotBottom + 14
        var lx = plotLeft
        svg += "<rect x=\"\(n(lx))\" y=\"\(n(legendY))\" width=\"22\" height=\"12\" fill=\"\(upFill)\"/>"
        svg += SVGChart.text("up (a status sample answered)", x: lx + 28, y: legendY + 10, size: 11, anchor: "start", fill: SVGChart.ink)
        lx += 210
        svg += "<rect x=\"\(n(lx))\" y=\"\(n(legendY))\" width=\"22\" height=\"12\" fill=\"url(#\(id)-over)\" stroke=\"\(SVGChart.overInk)\"/>"
        svg += SVGChart.text("down (hatched)", x: lx + 28, y: legendY + 10, size: 11, anchor: "start", fill: SVGChart.ink)
        lx += 130
        svg += "<rect x=\"\(n(lx))\" y=\"\(n(legendY))\" width=\"22\" height=\"12\" fill=\"url(#\(id)-unknown)\" stroke=\"#777\"/>"
        svg += SVGChart.text("no status sample (unknown, not counted as up)", x: lx + 28, y: legendY + 10, size: 11, anchor: "start", fill: SVGChart.ink)
        lx += 305
        svg += "<rect x=\"\(n(lx))\" y=\"\(n(legendY))\" width=\"22\" height=\"12\" fill=\"#ffffff\" stroke=\"#999\" stroke-width=\"0.6\"/>"
        svg += SVGChart.text("outside the period", x: lx + 28, y: legendY + 10, size: 11, anchor: "start", fill: SVGChart.ink)
        return svg + "</svg>"
    }

    /// About seven evenly spaced date labels: days over a long period, times over a short one.
    static func timeLabels(start: Date, end: Date) -> [(date: Date, text: String)] {
        let span = end.timeIntervalSince(start)
        guard span > 0 else { return [] }
        let steps: [Double] = [3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 2 * 86400, 5 * 86400, 7 * 86400, 14 * 86400, 30 * 86400, 91 * 86400]
        let step = steps.first { span / $0 <= 8 } ?? span / 7
        var labels: [(Date, String)] = []
        var t = ceil(start.timeIntervalSince1970 / step) * step
        while t <= end.timeIntervalSince1970 {
            let date = Date(timeIntervalSince1970: t)
            labels.append((date, step >= 86400 ? ComplianceFormat.day(date) : String(ComplianceFormat.dateTime(date).dropFirst(5).dropLast(4))))
            t += step
        }
        return labels
    }
}
