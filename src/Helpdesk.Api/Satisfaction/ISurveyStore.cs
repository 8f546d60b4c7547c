using Helpdesk.Api.Directory;
using Helpdesk.Domain.Satisfaction;
using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Satisfaction;

public sealed record ScoreSummary(int Count, decimal? Average, IReadOnlyDictionary<string, int> Distribution);

/// <summary>Satisfaction surveys, one per ticket, and the key that signs their links.</summary>
public interface ISurveyStore
{
    Task<byte[]> SigningKeyAsync(CancellationToken cancellationToken);

    Task<Versioned<Survey>?> FindAsync(string ticketId, CancellationToken cancellationToken);

    /// <summary>Stores a new survey and the event asking for its email in one transaction; false when the ticket already has one.</summary>
    Task<bool> CreateAsync(Survey survey, DomainEvent request, CancellationToken cancellationToken);

    /// <summary>Stores the answer guarded by the version read; throws a concurrency conflict when another answer won.</summary>
    Task AnswerAsync(Versioned<Survey> answered, CancellationToken cancellationToken);

    /// <summary>Answers given from <paramref name="from"/> (inclusive) to <paramref name="to"/> (exclusive).</summary>
    Task<ScoreSummary> ScoresAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken);
}
