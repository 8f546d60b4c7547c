using System.Globalization;
using Helpdesk.Api.Triggers;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Tickets;
using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Chat;

/// <summary>
/// The <c>CloseIdleChats</c> timer (every minute): a session whose customer wrote nothing for
/// <see cref="ChatOptions.IdleMinutes"/> ends (<see cref="Ticket.EndChat"/>), so the agents'
/// replies they never answered go by email. Ending is guarded by the ticket's version and ends a
/// session once, however often or concurrently the scan runs.
/// </summary>
public sealed class CloseIdleChats(IChatStore store, ChatService chats, IOptions<ChatOptions> options, TimeProvider clock) : IScheduledJob
{
    public const string FunctionName = "CloseIdleChats";
    private const int BatchSize = 200;

    public async Task<IReadOnlyList<string>> RunAsync(TimerInfo timer, CancellationToken cancellationToken)
    {
        var before = clock.GetUtcNow() - TimeSpan.FromMinutes(options.Value.IdleMinutes);
        var closed = 0;
        while (true)
        {
            var idle = await store.IdleAsync(before, BatchSize, cancellationToken);
            var closedInBatch = 0;
            foreach (var session in idle)
            {
                var outcome = await chats.CloseAsync(session.Value, ChatEndReasons.Idle, Actor.System("chat"), cancellationToken, idleSince: before);
                closedInBatch += outcome.Succeeded ? 1 : 0;
            }

            closed += closedInBatch;
            if (idle.Count < BatchSize || closedInBatch == 0)
            {
                return [string.Create(CultureInfo.InvariantCulture, $"{closed} idle chat session(s) closed")];
            }
        }
    }
}
