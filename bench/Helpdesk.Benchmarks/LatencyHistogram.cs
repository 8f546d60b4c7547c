using System.Numerics;

namespace Helpdesk.Benchmarks;

/// <summary>
/// Latencies in microseconds, counted in HDR-like buckets: exact below 1,024 µs, then 512 buckets per
/// power of two (at most 0.2 % off), so a run of millions of requests keeps every sample in a fixed 230 KB
/// and percentiles are read from the counts, not from a sorted list. One per load loop, merged at
/// the end, so recording needs no lock.
/// </summary>
internal sealed class LatencyHistogram
{
    private const int Exact = 1024;
    private const int PerPowerOfTwo = Exact / 2;
    private readonly long[] _counts = new long[Exact + (64 - 10) * PerPowerOfTwo];

    public long Count { get; private set; }

    public long MaxMicroseconds { get; private set; }

    public void Record(TimeSpan elapsed)
    {
        var microseconds = Math.Max(0, (long)elapsed.TotalMicroseconds);
        _counts[Index(microseconds)]++;
        Count++;
        MaxMicroseconds = Math.Max(MaxMicroseconds, microseconds);
    }

    public void Add(LatencyHistogram other)
    {
        for (var i = 0; i < _counts.Length; i++)
        {
            _counts[i] += other._counts[i];
        }

        Count += other.Count;
        MaxMicroseconds = Math.Max(MaxMicroseconds, other.MaxMicroseconds);
    }

    /// <summary>The latency at or under which the given share of requests (0.5, 0.95, 0.99) answered, in milliseconds.</summary>
    public double PercentileMs(double share)
    {
        if (Count == 0)
        {
            return double.NaN;
        }

        var rank = Math.Max(1, (long)Math.Ceiling(share * Count));
        long seen = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                return Math.Min(Middle(i), MaxMicroseconds) / 1000.0;
            }
        }

        return MaxMicroseconds / 1000.0;
    }

    private static int Index(long microseconds)
    {
        if (microseconds < Exact)
        {
            return (int)microseconds;
        }

        var shift = BitOperations.Log2((ulong)microseconds) - 9;
        return Exact + ((shift - 1) * PerPowerOfTwo) + (int)(microseconds >> shift) - PerPowerOfTwo;
    }

    private static double Middle(int index)
    {
        if (index < Exact)
        {
            return index;
        }

        var shift = ((index - Exact) / PerPowerOfTwo) + 1;
        var low = (long)(PerPowerOfTwo + ((index - Exact) % PerPowerOfTwo)) << shift;
        return low + ((1L << shift) / 2.0);
    }
}
