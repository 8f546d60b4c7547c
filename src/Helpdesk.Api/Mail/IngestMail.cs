using System.Globalization;
using Helpdesk.Api.Common;
using Helpdesk.Api.Triggers;
using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Mail;

/// <summary>
/// The <c>IngestMail</c> job: drains the inbound journal. It claims due mails in batches and
/// runs each through <see cref="MailIntake"/>; a failing mail is retried with backoff and
/// dead-lettered after <see cref="MailOptions.MaxAttempts"/>, and never holds up the others.
/// </summary>
public sealed partial class IngestMail(IMailJournal journal, MailIntake intake, IOptions<MailOptions> options, HelpdeskMetrics metrics, TimeProvider clock, ILogger<IngestMail> logger) : IScheduledJob
{
    public const string FunctionName = "IngestMail";

    private const int MaxBatchesPerRun = 50;

    /// <summary>Graph serves at most four concurrent requests per mailbox; more only earns 429s.</summary>
    private const int GraphConcurrencyPerMailbox = 4;
    /// <summary>How long a claimed mail (and its conversation's leases) stays with its process.</summary>
    internal static readonly TimeSpan Lease = TimeSpan.FromMinutes(5);

    public async Task<IReadOnlyList<string>> RunAsync(TimerInfo timer, CancellationToken cancellationToken)
    {
        int done = 0, failed = 0;
        for (var batch = 0; batch < MaxBatchesPerRun; batch++)
        {
            var now = clock.GetUtcNow();
            var claimed = await journal.ClaimAsync(now, now + Lease, options.Value.IngestBatchSize, cancellationToken);
            if (claimed.Count == 0)
            {
                break;
            }

            await Parallel.ForEachAsync(
                claimed,
                new ParallelOptions { MaxDegreeOfParallelism = GraphConcurrencyPerMailbox, CancellationToken = cancellationToken },
                async (mail, ct) =>
                {
                    try
                    {
                        await intake.IngestAsync(mail, ct);
                        Interlocked.Increment(ref done);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        Interlocked.Increment(ref failed);
                        await FailAsync(mail, e);
                    }
                });
        }

        return [string.Create(CultureInfo.InvariantCulture, $"ingested {done} mail(s), {failed} failed")];
    }

    private async Task FailAsync(InboundMail mail, Exception error)
    {
        var now = clock.GetUtcNow();
        var reason = $"{error.GetType().Name}: {error.Message}";
        DateTimeOffset? retryAt = mail.Attempts >= options.Value.MaxAttempts
            ? null
            : now + TimeSpan.FromSeconds(Math.Min(30 * Math.Pow(2, mail.Attempts - 1), 1800));
        if (retryAt is null)
        {
            HelpdeskMetrics.Add(metrics.MailDeadLettered, mail.Mailbox, "in");
            LogDeadLettered(logger, error, mail.Seq, mail.Attempts);
        }
        else
        {
            LogRetrying(logger, error, mail.Seq, mail.Attempts, retryAt.Value);
        }

        await journal.FailAsync(mail.Seq, reason, retryAt, now, CancellationToken.None);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Inbound mail {Seq} failed on attempt {Attempts}; retried at {RetryAt}")]
    private static partial void LogRetrying(ILogger logger, Exception exception, long seq, int attempts, DateTimeOffset retryAt);

    [LoggerMessage(Level = LogLevel.Error, Message = "Inbound mail {Seq} dead-lettered after {Attempts} attempts")]
    private static partial void LogDeadLettered(ILogger logger, Exception exception, long seq, int attempts);
}
