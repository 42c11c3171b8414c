import Foundation

/// Draws the report's charts as inline SVG: no script, no external resource, printable.
///
/// Every chart reads without colour: a bar over its target is hatched and says "✗ over", a
/// projection is dotted with a dashed border and says "projected", trend lines differ by dash
/// pattern and marker shape as well as colour, a failed run's marker is hollow, and every
/// chart has a legend and text labels. All text goes through ``HTMLEscaping``; pattern ids are
/// prefixed with the chart's id so several charts can share one page.
public enum SVGChart {
    /// One row of a bar chart against a target.
    public struct Bar: Sendable {
        /// A measurement (solid) or a projection (dotted).
        public enum Kind: Sendable { case measured, projected }
        public var label: String
        /// `nil`: nothing measured (the row says why in `note`).
        public var value: Double?
        public var target: Double
        public var kind: Kind
        /// Shown instead of the value when there is none.
        public var note: String?

        /// A bar for `label`.
        public init(label: String, value: Double?, target: Double, kind: Kind = .measured, note: String? = nil) {
            self.label = label
            self.value = value
            self.target = target
            self.kind = kind
            self.note = note
        }
    }

    /// One line of a trend chart.
    public struct Series: Sendable {
        public struct Point: Sendable {
            public var date: Date
            public var value: Double?
            /// Drawn hollow: the scenario (or run) failed there.
            public var failed: Bool

            /// A point at `date`.
            public init(date: Date, value: Double?, failed: Bool = false) {
                self.date = date
                self.value = value
                self.failed = failed
            }
        }

        public var name: String
        public var points: [Point]

        /// A series named `name`.
        public init(name: String, points: [Point]) {
            self.name = name
            self.points = points
        }
    }

    /// One column of the pass-rate chart.
    public struct Column: Sendable {
        public var label: String
        public var passed: Int
        public var failed: Int
        public var total: Int
        /// A partial run is dotted and labelled "partial".
        public var isFull: Bool

        /// A column for one run.
        public init(label: String, passed: Int, failed: Int, total: Int, isFull: Bool) {
            self.label = label
            self.passed = passed
            self.failed = failed
            self.total = total
            self.isFull = isFull
        }
    }

    static let width = 900.0
    static let fontFamily = "DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif"
    static let ink = "#1a1a1a"
    static let measuredFill = "#2f5d8a"
    static let overInk = "#a3001b"
    static let projectedInk = "#6b4e00"
    static let targetInk = "#a3001b"
    /// Line colours, dash patterns and marker shapes cycle independently of each other.
    static let palette = ["#1f4e79", "#b35900", "#2e7d32", "#6a1b9a", "#00838f", "#8d6e63", "#ad1457", "#455a64"]
    static let dashes = ["", "7 4", "2 3", "9 3 2 3"]
    static let markers = ["circle", "square", "triangle", "diamond", "cross", "down"]

    // MARK: - Bars against a target

    /// Horizontal bars, one per row, each against its target (a dashed red line; one line
    /// across the chart when every row has the same target), with the value and verdict in
    /// words at the right.
    public static func targetBars(id: String, title: String, bars: [Bar], format: (Double) -> String) -> String {
        let labelWidth = 240.0, textWidth = 250.0, rowHeight = 28.0, top = 34.0
        let plotLeft = labelWidth, plotWidth = width - labelWidth - textWidth - 10
        let plotBottom = top + rowHeight * Double(max(bars.count, 1))
        let height = plotBottom + 34 + 26
        let maximum = max(bars.map(\.target).max() ?? 1, bars.compactMap(\.value).max() ?? 0, 1e-9) * 1.04
        let ticks = durationTicks(upTo: maximum)
        let x = { (value: Double) in plotLeft + plotWidth * min(max(value, 0), maximum) / maximum }

        var svg = open(id: id, title: title, height: height)
        svg += patterns(id: id)
        // Grid and axis.
        for tick in ticks {
            let tx = x(tick)
            svg += line(tx, top - 4, tx, plotBottom, stroke: "#d0d0d0", width: 1)
            svg += text(format(tick), x: tx, y: plotBottom + 16, size: 11, anchor: "middle", fill: "#444")
        }
        svg += line(plotLeft, plotBottom, plotLeft + plotWidth, plotBottom, stroke: ink, width: 1)
        svg += line(plotLeft, top - 4, plotLeft, plotBottom, stroke: ink, width: 1)

        let targets = Set(bars.map(\.target))
        if targets.count == 1, let target = targets.first {
            let tx = x(target)
            svg += line(tx, top - 10, tx, plotBottom + 4, stroke: targetInk, width: 2, dash: "6 4")
            svg += text("target \(format(target))", x: tx, y: top - 14, size: 12, anchor: tx > plotLeft + plotWidth - 60 ? "end" : "middle", fill: targetInk, weight: "bold")
        }
        for (index, bar) in bars.enumerated() {
            let y = top + rowHeight * Double(index)
            svg += text(truncate(bar.label, 34), x: labelWidth - 8, y: y + rowHeight / 2 + 4, size: 12, anchor: "end", fill: bar.kind == .projected ? projectedInk : ink, style: bar.kind == .projected ? "italic" : nil, tooltip: bar.label)
            if targets.count > 1 {
                let tx = x(bar.target)
                svg += line(tx, y + 2, tx, y + rowHeight - 2, stroke: targetInk, width: 2, dash: "4 3")
            }
            guard let value = bar.value else {
                svg += text(bar.note ?? "not measured", x: plotLeft + plotWidth + 10, y: y + rowHeight / 2 + 4, size: 12, anchor: "start", fill: "#444", style: "italic")
                continue
            }
            let over = value > bar.target
            let barWidth = max(x(value) - plotLeft, value > 0 ? 2 : 0)
            let fill: String
            switch (bar.kind, over) {
            case (.measured, false): fill = measuredFill
            case (.measured, true): fill = "url(#\(id)-over)"
            case (.projected, false): fill = "url(#\(id)-projected)"
            case (.projected, true): fill = "url(#\(id)-over)"
            }
            let stroke = over ? overInk : (bar.kind == .projected ? projectedInk : measuredFill)
            svg += "<rect x=\"\(n(plotLeft))\" y=\"\(n(y + 6))\" width=\"\(n(barWidth))\" height=\"\(n(rowHeight - 12))\" fill=\"\(fill)\" stroke=\"\(stroke)\" stroke-width=\"1.5\"\(bar.kind == .projected ? " stroke-dasharray=\"4 2\"" : "")/>"
            if value > maximum {
                svg += text("▶", x: plotLeft + plotWidth + 2, y: y + rowHeight / 2 + 4, size: 10, anchor: "start", fill: overInk)
            }
            let verdict = over ? "✗ over target by \(format(value - bar.target))" : "✓ within target"
            svg += text("\(format(value)) \(verdict)", x: plotLeft + plotWidth + 12, y: y + rowHeight / 2 + 4, size: 12, anchor: "start", fill: over ? overInk : ink, weight: over ? "bold" : nil)
        }
        // Legend.
        let legendY = plotBottom + 36
        var lx = plotLeft
        svg += "<rect x=\"\(n(lx))\" y=\"\(n(legendY))\" width=\"22\" height=\"12\" fill=\"\(measuredFill)\"/>"
        svg += text("measured, within target", x: lx + 28, y: legendY + 10, size: 11, anchor: "start", fill: ink)
        lx += 190
        svg += "<rect x=\"\(n(lx))\" y=\"\(n(legendY))\" width=\"22\" height=\"12\" fill=\"url(#\(id)-over)\" stroke=\"\(overInk)\"/>"
        svg += text("over target (hatched)", x: lx + 28, y: legendY + 10, size: 11, anchor: "start", fill: ink)
        lx += 170
        svg += "<rect x=\"\(n(lx))\" y=\"\(n(legendY))\" width=\"22\" height=\"12\" fill=\"url(#\(id)-projected)\" stroke=\"\(projectedInk)\" stroke-dasharray=\"4 2\"/>"
        svg += text("projection (dotted)", x: lx + 28, y: legendY + 10, size: 11, anchor: "start", fill: ink)
        lx += 160
        svg += line(lx, legendY + 6, lx + 22, legendY + 6, stroke: targetInk, width: 2, dash: "6 4")
        svg += text("target", x: lx + 28, y: legendY + 10, size: 11, anchor: "start", fill: ink)
        return svg + "</svg>"
    }

    // MARK: - Trend lines

    /// One line per series over time (x: run dates; evenly spaced when they all fall within a
    /// minute), y from zero. The target is drawn when it fits the scale within a factor of
    /// three; otherwise a note says it is above the chart.
    public static func trendLines(id: String, title: String, series: [Series], target: Double?, format: (Double) -> String) -> String {
        let left = 78.0, right = 24.0, top = 28.0, plotHeight = 220.0
        let plotWidth = width - left - right
        let plotBottom = top + plotHeight
        let legendColumns = 3
        let legendRows = (series.count + legendColumns - 1) / legendColumns
        let height = plotBottom + 44 + Double(legendRows) * 20 + 28

        let dates = Array(Set(series.flatMap { $0.points.map(\.date) })).sorted()
        let values = series.flatMap { $0.points.compactMap(\.value) }
        let dataMax = values.max() ?? 0
        var maximum = max(dataMax * 1.15, 1e-9)
        var targetShown = false
        if let target, target > 0, target <= max(dataMax, 1e-9) * 3 {
            maximum = max(maximum, target * 1.1)
            targetShown = true
        }
        let ticks = durationTicks(upTo: maximum)
        maximum = max(maximum, ticks.last ?? maximum)
        let span = (dates.last ?? Date()).timeIntervalSince(dates.first ?? Date())
        let x: (Date) -> Double = { date in
            if dates.count <= 1 { return left + plotWidth / 2 }
            if span >= 60 { return left + 12 + (plotWidth - 24) * date.timeIntervalSince(dates[0]) / span }
            let index = Double(dates.firstIndex(of: date) ?? 0)
            return left + 12 + (plotWidth - 24) * index / Double(dates.count - 1)
        }
        let y = { (value: Double) in plotBottom - plotHeight * min(max(value, 0), maximum) / maximum }

        var svg = open(id: id, title: title, height: height)
        for tick in ticks {
            svg += line(left, y(tick), left + plotWidth, y(tick), stroke: "#d8d8d8", width: 1)
            svg += text(format(tick), x: left - 8, y: y(tick) + 4, size: 11, anchor: "end", fill: "#444")
        }
        svg += line(left, top, left, plotBottom, stroke: ink, width: 1)
        svg += line(left, plotBottom, left + plotWidth, plotBottom, stroke: ink, width: 1)
        // Newest first, so the latest run always has its date.
        var lastLabelX = Double.infinity
        for (index, date) in dates.enumerated().reversed() where lastLabelX - x(date) >= 76 {
            lastLabelX = x(date)
            let label = span >= 60 ? ComplianceFormat.day(date) : "run \(index + 1)"
            svg += line(x(date), plotBottom, x(date), plotBottom + 4, stroke: ink, width: 1)
            svg += text(label, x: x(date), y: plotBottom + 18, size: 11, anchor: "middle", fill: "#444")
        }
        if let target {
            if targetShown {
                svg += line(left, y(target), left + plotWidth, y(target), stroke: targetInk, width: 2, dash: "6 4")
                svg += text("target \(format(target))", x: left + plotWidth - 4, y: y(target) - 6, size: 12, anchor: "end", fill: targetInk, weight: "bold")
            } else {
                let share = dataMax / target
                svg += text("target \(format(target)) is far above this scale (the highest point is \(share < 0.01 ? "under 1" : String(Int((share * 100).rounded())))% of it)", x: left + plotWidth - 4, y: top - 10, size: 12, anchor: "end", fill: targetInk, weight: "bold")
            }
        }
        svg += seriesLines(series, x: x, y: y, format: format)
        svg += trendLegend(series, left: left, plotWidth: plotWidth, top: plotBottom + 34, columns: legendColumns, rows: legendRows)
        return svg + "</svg>"
    }

    /// Each series as a line (broken where a run has no value) with a marker per point, hollow
    /// where the scenario failed.
    static func seriesLines(_ series: [Series], x: (Date) -> Double, y: (Double) -> Double, format: (Double) -> String) -> String {
        var svg = ""
        for (index, one) in series.enumerated() {
            let colour = palette[index % palette.count]
            let dash = dashes[index % dashes.count]
            let marker = markers[index % markers.count]
            var segment: [String] = []
            func flush() {
                if segment.count > 1 {
                    svg += "<polyline points=\"\(segment.joined(separator: " "))\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\"\(dash.isEmpty ? "" : " stroke-dasharray=\"\(dash)\"")/>"
                }
                segment = []
            }
            for point in one.points.sorted(by: { $0.date < $1.date }) {
                guard let value = point.value else { flush(); continue }
                segment.append("\(n(x(point.date))),\(n(y(value)))")
            }
            flush()
            for point in one.points {
                guard let value = point.value else { continue }
                svg += shape(marker, x: x(point.date), y: y(value), colour: colour, hollow: point.failed, tooltip: "\(one.name), \(ComplianceFormat.day(point.date)): \(format(value))\(point.failed ? " (failed)" : "")")
            }
        }
        return svg
    }

    /// The series' names with their line and marker, in columns, and what the markers mean.
    static func trendLegend(_ series: [Series], left: Double, plotWidth: Double, top legendTop: Double, columns legendColumns: Int, rows legendRows: Int) -> String {
        var svg = ""
        let columnWidth = plotWidth / Double(legendColumns)
        for (index, one) in series.enumerated() {
            let lx = left + columnWidth * Double(index % legendColumns)
            let ly = legendTop + 20 * Double(index / legendColumns)
            let colour = palette[index % palette.count]
            let dash = dashes[index % dashes.count]
            svg += line(lx, ly, lx + 30, ly, stroke: colour, width: 2, dash: dash.isEmpty ? nil : dash)
            svg += shape(markers[index % markers.count], x: lx + 15, y: ly, colour: colour, hollow: false, tooltip: nil)
            svg += text(truncate(one.name, 34), x: lx + 38, y: ly + 4, size: 11, anchor: "start", fill: ink, tooltip: one.name)
        }
        svg += text("Filled marker: the scenario passed in that run; hollow marker: it failed.", x: left, y: legendTop + 20 * Double(legendRows) + 8, size: 11, anchor: "start", fill: "#444", style: "italic")
        return svg
    }

    // MARK: - Pass rate per run

    /// One column per run: its pass rate, `passed/total` above it, the date below; partial runs
    /// are dotted and labelled "partial", runs with a failure say how many failed.
    public static func passRateColumns(id: String, title: String, columns: [Column]) -> String {
        let left = 56.0, right = 16.0, top = 24.0, plotHeight = 170.0
        let plotWidth = width - left - right
        let plotBottom = top + plotHeight
        let height = plotBottom + 64
        let slot = plotWidth / Double(max(columns.count, 1))
        let columnWidth = min(56, slot * 0.62)
        var lastLabelX = Double.infinity

        var svg = open(id: id, title: title, height: height)
        svg += patterns(id: id)
        for percent in stride(from: 0, through: 100, by: 25) {
            let y = plotBottom - plotHeight * Double(percent) / 100
            svg += line(left, y, left + plotWidth, y, stroke: percent == 100 ? "#888" : "#dddddd", width: 1, dash: percent == 100 ? "5 3" : nil)
            svg += text("\(percent)%", x: left - 8, y: y + 4, size: 11, anchor: "end", fill: "#444")
        }
        svg += line(left, plotBottom, left + plotWidth, plotBottom, stroke: ink, width: 1)
        for (index, column) in columns.enumerated().reversed() {
            let centre = left + slot * (Double(index) + 0.5)
            let rate = column.total == 0 ? 0 : Double(column.passed) / Double(column.total)
            let barHeight = plotHeight * rate
            let fill = column.isFull ? measuredFill : "url(#\(id)-projected)"
            let stroke = column.isFull ? measuredFill : projectedInk
            svg += "<rect x=\"\(n(centre - columnWidth / 2))\" y=\"\(n(plotBottom - barHeight))\" width=\"\(n(columnWidth))\" height=\"\(n(barHeight))\" fill=\"\(fill)\" stroke=\"\(stroke)\" stroke-width=\"1.5\"\(column.isFull ? "" : " stroke-dasharray=\"4 2\"")><title>\(HTMLEscaping.text("\(column.label): \(column.passed) of \(column.total) passed, \(column.failed) failed\(column.isFull ? "" : ", partial run")"))</title></rect>"
            svg += text("\(column.passed)/\(column.total)", x: centre, y: plotBottom - barHeight - 6, size: 11, anchor: "middle", fill: ink, weight: "bold")
            if lastLabelX - centre >= 72 {
                lastLabelX = centre
                svg += text(column.label, x: centre, y: plotBottom + 16, size: 11, anchor: "middle", fill: "#444")
            }
            var notes: [String] = []
            if column.failed > 0 { notes.append("✗ \(column.failed) failed") }
            if !column.isFull { notes.append("partial") }
            if !notes.isEmpty {
                svg += text(notes.joined(separator: ", "), x: centre, y: plotBottom + 31, size: 10, anchor: "middle", fill: column.failed > 0 ? overInk : projectedInk, weight: column.failed > 0 ? "bold" : nil)
            }
        }
        let legendY = plotBottom + 44
        svg += "<rect x=\"\(n(left))\" y=\"\(n(legendY))\" width=\"22\" height=\"12\" fill=\"\(measuredFill)\"/>"
        svg += text("full drill (every catalogue scenario)", x: left + 28, y: legendY + 10, size: 11, anchor: "start", fill: ink)
        svg += "<rect x=\"\(n(left + 280))\" y=\"\(n(legendY))\" width=\"22\" height=\"12\" fill=\"url(#\(id)-projected)\" stroke=\"\(projectedInk)\" stroke-dasharray=\"4 2\"/>"
        svg += text("partial run (dotted)", x: left + 308, y: legendY + 10, size: 11, anchor: "start", fill: ink)
        return svg + "</svg>"
    }

    // MARK: - Pieces

    static func open(id: String, title: String, height: Double) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"\(HTMLEscaping.attribute(id))\" class=\"chart\" viewBox=\"0 0 \(n(width)) \(n(height))\" width=\"\(n(width))\" height=\"\(n(height))\" role=\"img\" aria-label=\"\(HTMLEscaping.attribute(title))\" font-family=\"\(fontFamily)\"><title>\(HTMLEscaping.text(title))</title>"
    }

    /// `id-over`: red diagonal hatch; `id-projected`: brown dots on pale yellow.
    static func patterns(id: String) -> String {
        "<defs>"
            + "<pattern id=\"\(id)-over\" width=\"7\" height=\"7\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><rect width=\"7\" height=\"7\" fill=\"#fbe3e6\"/><rect width=\"3\" height=\"7\" fill=\"\(overInk)\"/></pattern>"
            + "<pattern id=\"\(id)-projected\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\"><rect width=\"6\" height=\"6\" fill=\"#fff3cc\"/><circle cx=\"3\" cy=\"3\" r=\"1.3\" fill=\"\(projectedInk)\"/></pattern>"
            + "</defs>"
    }

    static func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String, width: Double, dash: String? = nil) -> String {
        "<line x1=\"\(n(x1))\" y1=\"\(n(y1))\" x2=\"\(n(x2))\" y2=\"\(n(y2))\" stroke=\"\(stroke)\" stroke-width=\"\(n(width))\"\(dash.map { " stroke-dasharray=\"\($0)\"" } ?? "")/>"
    }

    static func text(_ content: String, x: Double, y: Double, size: Double, anchor: String, fill: String, weight: String? = nil, style: String? = nil, tooltip: String? = nil) -> String {
        var out = "<text x=\"\(n(x))\" y=\"\(n(y))\" font-size=\"\(n(size))\" text-anchor=\"\(anchor)\" fill=\"\(fill)\""
        if let weight { out += " font-weight=\"\(weight)\"" }
        if let style { out += " font-style=\"\(style)\"" }
        out += ">"
        if let tooltip, tooltip != content { out += "<title>\(HTMLEscaping.text(tooltip))</title>" }
        return out + HTMLEscaping.text(content) + "</text>"
    }

    static func shape(_ kind: String, x: Double, y: Double, colour: String, hollow: Bool, tooltip: String?) -> String {
        let fill = hollow ? "#ffffff" : colour
        let attributes = "fill=\"\(fill)\" stroke=\"\(colour)\" stroke-width=\"\(hollow ? "2.5" : "1.5")\""
        let r = 5.0
        let body: String
        switch kind {
        case "square": body = "<rect x=\"\(n(x - r))\" y=\"\(n(y - r))\" width=\"\(n(2 * r))\" height=\"\(n(2 * r))\" \(attributes)"
        case "triangle": body = "<polygon points=\"\(n(x)),\(n(y - r - 1)) \(n(x + r + 1)),\(n(y + r)) \(n(x - r - 1)),\(n(y + r))\" \(attributes)"
        case "down": body = "<polygon points=\"\(n(x)),\(n(y + r + 1)) \(n(x + r + 1)),\(n(y - r)) \(n(x - r - 1)),\(n(y - r))\" \(attributes)"
        case "diamond": body = "<polygon points=\"\(n(x)),\(n(y - r - 1)) \(n(x + r + 1)),\(n(y)) \(n(x)),\(n(y + r + 1)) \(n(x - r - 1)),\(n(y))\" \(attributes)"
        case "cross":
            let a = r * 0.45
            let points = [(-a, -r), (a, -r), (a, -a), (r, -a), (r, a), (a, a), (a, r), (-a, r), (-a, a), (-r, a), (-r, -a), (-a, -a)]
            body = "<polygon points=\"\(points.map { "\(n(x + $0.0)),\(n(y + $0.1))" }.joined(separator: " "))\" \(attributes)"
        default: body = "<circle cx=\"\(n(x))\" cy=\"\(n(y))\" r=\"\(n(r))\" \(attributes)"
        }
        if let tooltip {
            return body + "><title>\(HTMLEscaping.text(tooltip))</title></" + (body.hasPrefix("<rect") ? "rect" : body.hasPrefix("<circle") ? "circle" : "polygon") + ">"
        }
        return body + "/>"
    }

    /// Grid values for a duration axis from 0 to `maximum`: round steps (1 s … 1 day), at most
    /// six ticks.
    static func durationTicks(upTo maximum: Double) -> [Double] {
        let steps: [Double] = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800]
        let step = steps.first { maximum / $0 <= 6 } ?? maximum / 5
        return stride(from: 0.0, through: maximum + step * 0.001, by: step).map { $0 }
    }

    /// `text` cut to `limit` characters with an ellipsis.
    static func truncate(_ text: String, _ limit: Int) -> String {
        let single = text.replacingOccurrences(of: "\n", with: " ")
        return single.count <= limit ? single : String(single.prefix(limit - 1)) + "…"
    }

    /// A coordinate with at most one decimal.
    static func n(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }
}
