import Foundation

/// Restore (or backup) duration as **fixed cost + size ÷ throughput**, fitted by weighted least
/// squares over measured durations at known database sizes (``RestoreMeasurement``).
///
/// Why a fit: a drill restores a few megabytes in about two seconds, almost all of it fixed
/// cost (process start, create database, checks). Dividing the production size by that
/// "throughput" treats the fixed cost as if it grew with the size and overstated a 1.2 GB
/// restore thirty-fold. With restores at two clearly different sizes (the main job's drills and
/// the calibration scenario, or a real restore test of production) the two parts can be told
/// apart.
///
/// Rules, in order:
/// - Measurements that are not finite, or have a size or weight of 0 or less, are left out.
/// - **Timed alone first.** A restore timed while other scenarios shared the machine (a drill
///   run with `--jobs` above 1, as the main job runs) includes waiting for the CPU and disk they
///   used: on a busy machine a 13 MB drill restore then takes longer than a 50 MB calibration
///   restore run alone, and a line through both would not grow with the size at all. So when
///   the measurements timed alone (the calibration scenario's, real restore tests, drills run
///   one at a time) span the sizes a fit needs, the fit uses only them and
///   ``setAsideShared`` counts the others; otherwise it uses every measurement.
/// - **Under-determined** when the largest measured size is less than ``minimumSizeSpread``
///   times the smallest: fixed cost and throughput cannot be told apart, and the model says so
///   instead of predicting.
/// - Weighted least squares: seconds = fixed + size × secondsPerByte, each measurement counted
///   with its weight (a real restore test of production weighs
///   ``RestoreMeasurement/productionRestoreTestWeight`` drill restores).
/// - A slope of 0 or less (the durations do not grow with the size: noise dominates) is **not
///   growing**: no prediction either.
/// - A negative fixed cost is impossible: the line is then fitted through the origin instead
///   (pure throughput) and ``fixedCostClamped`` says so.
/// - Uncertainty: with more measurements than the two parameters, the weighted residual
///   standard deviation `s` gives an approximate 95 % projection interval for one new restore
///   at size x: prediction ± 2 · s · √(1 + 1/W + (x − x̄)² / Sxx) (W the sum of weights, x̄ the
///   weighted mean size, Sxx the weighted sum of squared deviations). Far beyond the measured
///   sizes the interval widens with the distance, as it should.
public struct RestoreTimeModel: Sendable, Equatable, Encodable {
    /// Whether the model can predict.
    public enum Status: String, Sendable, Equatable, Encodable {
        case fitted = "fitted"
        case noMeasurement = "no measurement"
        case underDetermined = "under-determined"
        case notGrowing = "not growing with size"
    }

    /// A predicted duration with its approximate 95 % projection interval (`nil` bounds: no
    /// residual spread to estimate it from).
    public struct Prediction: Sendable, Equatable, Encodable {
        public var seconds: Double
        public var lowSeconds: Double?
        public var highSeconds: Double?
    }

    /// How many measurements of each source the fit used.
    public struct SourceCount: Sendable, Equatable, Encodable {
        public var source: RestoreMeasurement.Source
        public var count: Int
    }

    /// Sizes must span at least this factor (largest ÷ smallest) for a fit.
    public static let minimumSizeSpread = 2.0

    public var status: Status
    /// Fixed cost, seconds (the duration at size 0); `nil` unless fitted.
    public var fixedSeconds: Double?
    /// Seconds per byte (1 ÷ throughput); `nil` unless fitted.
    public var secondsPerByte: Double?
    /// True when the unconstrained fit gave a negative fixed cost and the line was fitted
    /// through the origin instead.
    public var fixedCostClamped: Bool
    /// The measurements used, by source, and their size range.
    public var measurementCount: Int
    public var sources: [SourceCount]
    public var smallestBytes: Double?
    public var largestBytes: Double?
    /// Measurements timed beside other scenarios that were set aside because those timed
    /// alone span the sizes a fit needs.
    public var setAsideShared: Int = 0
    /// Weighted residual standard deviation, seconds; `nil` with two measurements or fewer.
    public var residualSeconds: Double?
    /// Sum of weights, weighted mean size and weighted Sxx: what the interval needs.
    var sumOfWeights: Double = 0
    var meanBytes: Double = 0
    var sxx: Double = 0

    /// The fitted throughput, bytes per second.
    public var bytesPerSecond: Double? {
        guard let secondsPerByte, secondsPerByte > 0 else { return nil }
        return 1 / secondsPerByte
    }

    /// Fits the model over `measurements` (see the type's rules).
    public init(fitting measurements: [RestoreMeasurement]) {
        var usable = measurements.filter(\.isUsable)
        let alone = usable.filter { $0.jobs <= 1 }
        if alone.count < usable.count, let low = alone.map(\.sizeBytes).min(), let high = alone.map(\.sizeBytes).max(), high >= low * Self.minimumSizeSpread {
            setAsideShared = usable.count - alone.count
            usable = alone
        }
        measurementCount = usable.count
        sources = RestoreMeasurement.Source.allCases.compactMap { source in
            let count = usable.filter { $0.source == source }.count
            return count > 0 ? SourceCount(source: source, count: count) : nil
        }
        smallestBytes = usable.map(\.sizeBytes).min()
        largestBytes = usable.map(\.sizeBytes).max()
        fixedCostClamped = false
        guard let smallest = smallestBytes, let largest = largestBytes else {
            status = .noMeasurement
            return
        }
        guard largest >= smallest * Self.minimumSizeSpread else {
            status = .underDetermined
            return
        }
        let w = usable.reduce(0) { $0 + $1.weight }
        let meanX = usable.reduce(0) { $0 + $1.weight * $1.sizeBytes } / w
        let meanY = usable.reduce(0) { $0 + $1.weight * $1.seconds } / w
        let sxx = usable.reduce(0) { $0 + $1.weight * ($1.sizeBytes - meanX) * ($1.sizeBytes - meanX) }
        let sxy = usable.reduce(0) { $0 + $1.weight * ($1.sizeBytes - meanX) * ($1.seconds - meanY) }
        sumOfWeights = w
        meanBytes = meanX
        self.sxx = sxx
        guard sxx > 0 else {
            status = .underDetermined
            return
        }
        var slope = sxy / sxx
        var intercept = meanY - slope * meanX
        if slope > 0 && intercept < 0 {
            // A negative fixed cost is impossible: fit the throughput alone, through the origin.
            let sxyOrigin = usable.reduce(0) { $0 + $1.weight * $1.sizeBytes * $1.seconds }
            let sxxOrigin = usable.reduce(0) { $0 + $1.weight * $1.sizeBytes * $1.sizeBytes }
            slope = sxyOrigin / sxxOrigin
            intercept = 0
            fixedCostClamped = true
        }
        guard slope > 0, slope.isFinite, intercept.isFinite else {
            status = .notGrowing
            return
        }
        status = .fitted
        fixedSeconds = intercept
        secondsPerByte = slope
        if usable.count > 2 {
            let squares = usable.reduce(0) { sum, m in
                let residual = m.seconds - (intercept + slope * m.sizeBytes)
                return sum + m.weight * residual * residual
            }
            // Per unit weight (a drill restore's), over the degrees of freedom left.
            residualSeconds = (squares / Double(usable.count - 2)).squareRoot()
        }
    }

    /// The duration predicted at `bytes`, with its interval; `nil` unless ``status`` is fitted.
    public func predict(_ bytes: Double) -> Prediction? {
        guard status == .fitted, let fixedSeconds, let secondsPerByte, bytes.isFinite, bytes >= 0 else { return nil }
        let seconds = fixedSeconds + secondsPerByte * bytes
        guard let s = residualSeconds, sumOfWeights > 0, sxx > 0 else {
            return Prediction(seconds: seconds)
        }
        let distance = bytes - meanBytes
        let spread = 2 * s * (1 + 1 / sumOfWeights + distance * distance / sxx).squareRoot()
        return Prediction(seconds: seconds, lowSeconds: max(0, seconds - spread), highSeconds: seconds + spread)
    }

    /// What the model rests on, in one clause: "fitted over 9 restores (8 drill, 1 calibration)
    /// from 13.3 MiB to 52.0 MiB: 1.2s fixed + 98.0 MiB/s", or why it cannot predict.
    public var basisSentence: String {
        let what = ComplianceFormat.count(measurementCount, "measurement")
        let bySource = sources.map { "\($0.count) \($0.source.rawValue)" }.joined(separator: ", ")
        let range = smallestBytes.flatMap { low in largestBytes.map { high in low == high ? "at \(ComplianceFormat.bytes(low))" : "from \(ComplianceFormat.bytes(low)) to \(ComplianceFormat.bytes(high))" } } ?? ""
        switch status {
        case .noMeasurement:
            return "no measurement with its database size"
        case .underDetermined:
            return "\(what) (\(bySource)) all at about one size (\(range)): fixed cost and throughput cannot be told apart — run the calibration scenario (scenarios/calibration/) for a second size"
        case .notGrowing:
            return "\(what) (\(bySource)) \(range) do not grow with the size (the scatter between runs is larger than the size effect)"
        case .fitted:
            let fixed = ComplianceFormat.duration(fixedSeconds ?? 0) + (fixedCostClamped ? " (a negative fixed cost was fitted; counted as 0)" : "")
            let aside = setAsideShared > 0 ? ", timed alone (\(ComplianceFormat.count(setAsideShared, "restore")) timed beside other scenarios set aside)" : ""
            return "fitted over \(what) (\(bySource))\(aside) \(range): \(fixed) fixed + size ÷ \(ComplianceFormat.rate(bytesPerSecond ?? 0))"
        }
    }
}
