/// Sun–planet distances from approximate Keplerian elements, for the planet XOR step of dcgan-vpd.
///
/// Elements and their rates per Julian century are those of Standish, "Keplerian Elements for Approximate
/// Positions of the Major Planets" (JPL Solar System Dynamics), Table 1, fitted for 1800–2050 (the Earth row is
/// the Earth–Moon barycentre); dates up to 2100 are extrapolated, which cannot change the order below.
/// Only a, e and the mean anomaly M = L − ϖ are needed for the heliocentric distance r = a(1 − e·cos E), with
/// E from Kepler's equation M = E − e·sin E.
///
/// Finding: the heliocentric order never changes (each planet's aphelion is closer than the next planet's
/// perihelion: Mercury ≤ 0.47 au < Venus ≥ 0.71 au, Venus ≤ 0.73 < Earth ≥ 0.98, Earth ≤ 1.02 < Mars ≥ 1.38,
/// Mars ≤ 1.67 < Jupiter ≥ 4.95, Jupiter ≤ 5.46 < Saturn ≥ 9.0, Saturn ≤ 10.1 < Uranus ≥ 18.3, Uranus ≤ 20.1 <
/// Neptune ≥ 29.8), so the code table is the identity at every timestamp. It is computed as described anyway.
public enum PlanetTable {
    public static let names = ["Mercury", "Venus", "Earth", "Mars", "Jupiter", "Saturn", "Uranus", "Neptune"]

    // a [au], e, L [deg], long. perihelion [deg], then the same per century.
    private static let elements: [(a: Double, e: Double, l: Double, peri: Double,
                                   da: Double, de: Double, dl: Double, dperi: Double)] = [
        (0.38709927, 0.20563593, 252.25032350, 77.45779628, 0.00000037, 0.00001906, 149472.67411175, 0.16047689),
        (0.72333566, 0.00677672, 181.97909950, 131.60246718, 0.00000390, -0.00004107, 58517.81538729, 0.00268329),
        (1.00000261, 0.01671123, 100.46457166, 102.93768193, 0.00000562, -0.00004392, 35999.37244981, 0.32327364),
        (1.52371034, 0.09339410, -4.55343205, -23.94362959, 0.00001847, 0.00007882, 19140.30268499, 0.44441088),
        (5.20288700, 0.04838624, 34.39644051, 14.72847983, -0.00011607, -0.00013253, 3034.74612775, 0.21252668),
        (9.53667594, 0.05386179, 49.95424423, 92.59887831, -0.00125060, -0.00050991, 1222.49362201, -0.41897216),
        (19.18916464, 0.04725744, 313.23810451, 170.95427630, -0.00196176, -0.00004397, 428.48202785, 0.40805281),
        (30.06992276, 0.00859048, -55.12002969, 44.96476227, 0.00026291, 0.00005105, 218.45945325, -0.32241464),
    ]

    /// Heliocentric distances [au] of the eight planets (solar order) at `time`.
    public static func distances(at time: VPDTimestamp) -> [Double] {
        let centuries = (time.julianDate - 2_451_545.0) / 36_525.0
        return elements.map { el in
            let a = el.a + el.da * centuries
            let e = el.e + el.de * centuries
            var meanAnomaly = (el.l + el.dl * centuries) - (el.peri + el.dperi * centuries)
            meanAnomaly -= 360.0 * (meanAnomaly / 360.0).rounded(.down)        // [0, 360)
            let m = meanAnomaly * (DeterministicMath.pi / 180.0)
            var eccentric = m + e * DeterministicMath.sin(m)
            for _ in 0..<30 {   // Newton on E − e·sin E − M; converges in a few steps for e < 0.21
                eccentric -= (eccentric - e * DeterministicMath.sin(eccentric) - m) / (1.0 - e * DeterministicMath.cos(eccentric))
            }
            return a * (1.0 - e * DeterministicMath.cos(eccentric))
        }
    }

    /// The code table when the distance order is the solar order (always, see above): code c ↦ planet c.
    static let solarOrder: [UInt8] = [0, 1, 2, 3, 4, 5, 6, 7]

    /// Planets (solar-order indices) sorted by ascending distance at `time`: code c (000 … 111) ↦ that planet.
    public static func codeTable(at time: VPDTimestamp) -> [UInt8] {
        let d = distances(at: time)
        return (0..<8).sorted { d[$0] < d[$1] }.map { UInt8($0) }
    }
}

/// A UTC timestamp written `DD-MM-YYYY HH:MM:SS`, as carried in the clear parameters of a dcgan-vpd key.
public struct VPDTimestamp: Sendable, Equatable, CustomStringConvertible {
    public let year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int

    /// Parses exactly `DD-MM-YYYY HH:MM:SS` (19 ASCII characters, a real calendar date, years 1 … 9999).
    public init(parsing text: String) throws(CipherError) {
        let bad = CipherError.invalidParameter(profile: DCGANVPDCipher.profileName, name: "timestamp", value: text)
        let chars = Array(text.utf8)
        guard chars.count == 19, chars[2] == UInt8(ascii: "-"), chars[5] == UInt8(ascii: "-"),
              chars[10] == UInt8(ascii: " "), chars[13] == UInt8(ascii: ":"), chars[16] == UInt8(ascii: ":")
        else { throw bad }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for i in range {
                guard chars[i] >= UInt8(ascii: "0"), chars[i] <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(chars[i] - UInt8(ascii: "0"))
            }
            return value
        }
        guard let d = number(0..<2), let mo = number(3..<5), let y = number(6..<10),
              let h = number(11..<13), let mi = number(14..<16), let s = number(17..<19),
              y >= 1, (1...12).contains(mo), d >= 1, d <= Self.daysInMonth(year: y, month: mo),
              h < 24, mi < 60, s < 60
        else { throw bad }
        (year, month, day, hour, minute, second) = (y, mo, d, h, mi, s)
    }

    /// The UTC calendar time `secondsSince1970` seconds after 1970-01-01 00:00:00.
    public init(secondsSince1970: Int64) {
        let days = Int(secondsSince1970.quotientAndRemainder(dividingBy: 86_400).quotient)
            - (secondsSince1970 % 86_400 < 0 ? 1 : 0)
        let secondOfDay = Int(secondsSince1970 - Int64(days) * 86_400)
        // Civil date from a day count (proleptic Gregorian, eras of 400 years).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        day = dayOfYear - (153 * mp + 2) / 5 + 1
        month = mp < 10 ? mp + 3 : mp - 9
        year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        hour = secondOfDay / 3600
        minute = secondOfDay % 3600 / 60
        second = secondOfDay % 60
    }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of the date (proleptic Gregorian).
    var daysSince1970: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// Julian date (UTC taken as TT; a minute's difference is irrelevant to the distances' order).
    public var julianDate: Double {
        Double(daysSince1970) + 2_440_587.5 + Double(hour * 3600 + minute * 60 + second) / 86_400.0
    }

    public var description: String {
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let y = String(year)
        return "\(two(day))-\(two(month))-\(String(repeating: "0", count: max(0, 4 - y.count)))\(y) "
            + "\(two(hour)):\(two(minute)):\(two(second))"
    }
}
