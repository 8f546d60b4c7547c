using System.Globalization;
using Helpdesk.Api.Common;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Satisfaction;

namespace Helpdesk.Api.Satisfaction;

public sealed record ScoreSummary(int Count, decimal? Average, IReadOnlyDictionary<string, int> Distribution)
{
    /// <summary>An empty count per score, 1 to 5, for a store to fill.</summary>
    public static Dictionary<string, int> EmptyDistribution() =>
        Enumerable.Range(1, 5).ToDictionary(i => i.ToString(CultureInfo.InvariantCulture), _ => 0, StringComparer.Ordinal);

    /// <summary>The count and the average (two decimals) of a distribution.</summary>
    public static ScoreSummary Of(IReadOnlyDictionary<string, int> distribution)
    {
        ArgumentNullException.ThrowIfNull(distribution);
        var count = distribution.Values.Sum();
        decimal? average = count == 0
            ? null
            : Math.Round(distribution.Sum(d => int.Parse(d.Key, CultureInfo.InvariantCulture) * (decimal)d.Value) / count, 2, MidpointRounding.AwayFromZero);
        return new ScoreSummary(count, average, distribution);
    }
}

/// <summary>
/// Satisfaction surveys, one per ticket, and the key that signs their links. A survey is written
/// through <see cref="ITicketStore.SaveAsync"/> (kind <see cref="TicketItemKinds.Survey"/>), with the
/// event asking for its email when it is sent.
/// </summary>
public interface ISurveyStore
{
    Task<byte[]> SigningKeyAsync(CancellationToken cancellationToken);

    Task<Versioned<Survey>?> FindAsync(string ticketId, CancellationToken cancellationToken);

    /// <summary>Answers given from <paramref name="from"/> (inclusive) to <paramref name="to"/> (exclusive).</summary>
    Task<ScoreSummary> ScoresAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken);
}
