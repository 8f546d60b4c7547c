namespace Helpdesk.Api.Mail;

/// <summary>
/// Takes the mails of one conversation in one after the other within this process. An original
/// and its reply ingested side by side (the same batch) would each find no ticket for the other —
/// neither has settled its Message-ID yet — and open two tickets with two acknowledgements.
/// A mail holds a gate for its own Message-ID, each Message-ID it cites (In-Reply-To, References)
/// and its Graph conversationId while it is deduplicated, threaded and written, so whichever of
/// the two comes second finds the ticket of the first (by In-Reply-To, by the citing reply, or by
/// the conversation). Gates are entered in one order, so two mails never wait for each other.
/// Instances sharing a Cosmos DB account do not share these gates: across them the conversation's
/// leases in the store (<see cref="IMailThreadIds.LeaseAsync"/>) do the same (docs/adr/0006).
/// </summary>
public sealed class MailConversationLocks
{
    private readonly Dictionary<string, (SemaphoreSlim Gate, int Users)> _gates = new(StringComparer.Ordinal);

    /// <summary>Waits for every gate of the mail's conversation; disposing the result lets the next mail in.</summary>
    public async Task<IDisposable> EnterAsync(IEnumerable<string> keys, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var held = new Held(this);
        try
        {
            foreach (var key in keys.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
            {
                var gate = Join(key);
                try
                {
                    await gate.WaitAsync(cancellationToken);
                }
                catch
                {
                    Leave(key, entered: false);
                    throw;
                }

                held.Keys.Add(key);
            }

            return held;
        }
        catch
        {
            held.Dispose();
            throw;
        }
    }

    /// <summary>The gates of an inbound mail: its Message-ID, the ones it cites, its Graph conversation.</summary>
    public static IEnumerable<string> KeysOf(string internetMessageId, IEnumerable<string> cites, string? conversationId) =>
        [
            "id:" + internetMessageId,
            .. cites.Select(id => "id:" + id),
            .. conversationId is { Length: > 0 } ? ["conversation:" + conversationId] : Array.Empty<string>(),
        ];

    private SemaphoreSlim Join(string key)
    {
        lock (_gates)
        {
            var (gate, users) = _gates.TryGetValue(key, out var found) ? found : (new SemaphoreSlim(1, 1), 0);
            _gates[key] = (gate, users + 1);
            return gate;
        }
    }

    private void Leave(string key, bool entered)
    {
        lock (_gates)
        {
            var (gate, users) = _gates[key];
            if (entered)
            {
                gate.Release();
            }

            if (users == 1)
            {
                _gates.Remove(key);
                gate.Dispose();
            }
            else
            {
                _gates[key] = (gate, users - 1);
            }
        }
    }

    private sealed class Held(MailConversationLocks locks) : IDisposable
    {
        public List<string> Keys { get; } = [];

        public void Dispose()
        {
            foreach (var key in Keys)
            {
                locks.Leave(key, entered: true);
            }

            Keys.Clear();
        }
    }
}
