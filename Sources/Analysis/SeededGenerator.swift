public import Pixels

/// The analysis's seeded generator (SplitMix64, from Pixels): every sampled quantity in a report (pixel pairs,
/// noise, the changed pixel) can be reproduced from the seed printed in the report. Not for keys.
public typealias SeededGenerator = SplitMix64
