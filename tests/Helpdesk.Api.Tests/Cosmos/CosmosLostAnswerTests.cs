using System.Net;
using Helpdesk.Api.Common;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Tickets;
using Microsoft.Azure.Cosmos;

namespace Helpdesk.Api.Tests.Cosmos;

/// <summary>
/// A write whose answer never comes back (a timeout, a 503 from the gateway) may or may not have
/// landed. These tests lose answers on purpose, after the server applied the write or before the
/// request reached it, and check that the writer finds out which it was (docs/adr/0004): a landed
/// write is a success, not a conflict or a duplicate, and the items it committed stay.
/// </summary>
[Collection(CosmosCollection.Name)]
public sealed class CosmosLostAnswerTests(CosmosTestServer server) : CosmosPartitionTest(server, "lost")
{
    private readonly LosingHandler _network = new();

    [Fact]
    public async Task A_save_whose_answer_is_lost_after_it_landed_succeeds_once()
    {
        var stores = Open(_network);
        var ticket = (await stores.Tickets.FindAsync(await CreateAsync(stores, "Printer jams"), default))!;
        ticket.Assign("agt_ada", null, Ada, Next());

        _network.Lose(1, TicketReplace, applied: true);
        await stores.Tickets.SaveAsync(ticket, default);

        _network.Swallowed.ShouldBe([HttpStatusCode.OK]);
        ticket.Version.ShouldBe(2);
        (await ActionsAsync(stores, ticket.Id)).ShouldBe(["created", "assigned"]);
        ticket.Start(Ada, Next());
        await stores.Tickets.SaveAsync(ticket, default);
        (await stores.Tickets.FindAsync(ticket.Id, default))!.Version.ShouldBe(3, "the writer knows the version it stored and goes on from it");
    }

    [Fact]
    public async Task A_save_that_never_reached_the_server_is_sent_again_and_stored_once()
    {
        var stores = Open(_network);
        var ticket = (await stores.Tickets.FindAsync(await CreateAsync(stores, "Printer jams"), default))!;
        ticket.Assign("agt_ada", null, Ada, Next());

        _network.Lose(1, TicketReplace, applied: false);
        await stores.Tickets.SaveAsync(ticket, default);

        _network.Lost.ShouldBe(1);
        (await stores.Tickets.FindAsync(ticket.Id, default))!.Version.ShouldBe(2);
        (await ActionsAsync(stores, ticket.Id)).ShouldBe(["created", "assigned"]);
    }

    [Fact]
    public async Task A_reply_whose_commit_answer_is_lost_keeps_its_message()
    {
        var stores = Open(_network);
        var ticketId = await CreateAsync(stores, "Printer jams");

        _network.Lose(1, TicketReplace, applied: true);
        await ReplyAsync(stores, ticketId, "On my way");

        _network.Swallowed.ShouldBe([HttpStatusCode.OK]);
        var thread = await stores.Messages.ListAsync(ticketId, true, 10, null, default);
        thread.Items.Select(m => m.Text).ShouldBe(["On my way"], "the message the index names was not cleaned up as a refused write's");
        (await ActionsAsync(stores, ticketId)).ShouldBe(["created", MessageActions.AgentReplied]);
        await ReplyAsync(Open(), ticketId, "Fixed");
        (await stores.Messages.ListAsync(ticketId, true, 10, null, default)).Items.Select(m => m.Text).ShouldBe(["On my way", "Fixed"]);
    }

    [Fact]
    public async Task A_creation_whose_answer_is_lost_is_not_reported_as_a_duplicate()
    {
        var stores = Open(_network);

        _network.Lose(1, TicketCreate, applied: true);
        var id = await CreateAsync(stores, "Printer jams");

        _network.Swallowed.ShouldBe([HttpStatusCode.Created]);
        var found = (await stores.Tickets.FindAsync(id, default))!;
        found.Version.ShouldBe(1);
        (await ActionsAsync(stores, id)).ShouldBe(["created"]);
    }

    [Fact]
    public async Task A_creation_whose_id_is_really_taken_is_still_refused_after_a_lost_answer()
    {
        var stores = Open(_network);
        var id = await CreateAsync(stores, "Printer jams");
        _network.Lose(1, TicketCreate, applied: true);
        var refused = await Should.ThrowAsync<UniqueConstraintException>(() => CreateAsync(stores, "Same id", id));

        _network.Swallowed.ShouldBe([HttpStatusCode.Conflict]);
        refused.Field.ShouldBe("id");
        (await stores.Tickets.FindAsync(id, default))!.Subject.ShouldBe("Printer jams");
    }

    private static bool TicketReplace(RequestMessage request) =>
        request.Method == HttpMethod.Put && Path(request).Contains("/colls/tickets/docs/", StringComparison.Ordinal);

    /// <summary>A create in the tickets container (its request names the container): not an upsert, a query or a query plan.</summary>
    private static bool TicketCreate(RequestMessage request) =>
        request.Method == HttpMethod.Post
        && (Path(request).EndsWith("/colls/tickets", StringComparison.Ordinal) || Path(request).EndsWith("/colls/tickets/docs", StringComparison.Ordinal))
        && !Flag(request, "x-ms-documentdb-is-upsert") && !Flag(request, "x-ms-documentdb-isquery") && !Flag(request, "x-ms-cosmos-is-query-plan-request");

    private static bool Flag(RequestMessage request, string header) =>
        request.Headers.TryGetValue(header, out var value) && string.Equals(value, "true", StringComparison.OrdinalIgnoreCase);

    private static string Path(RequestMessage request) => request.RequestUri.OriginalString.TrimEnd('/');

    /// <summary>
    /// The network between the SDK and the server, losing the answers of chosen requests: after
    /// the server applied the request (the answer got lost on the way back) or before it got there.
    /// Either way the SDK sees a 408, as after a request timeout.
    /// </summary>
    private sealed class LosingHandler : RequestHandler
    {
        private readonly Lock _gate = new();
        private int _toLose;
        private bool _applied;
        private Func<RequestMessage, bool> _matches = _ => false;
        private List<HttpStatusCode> _swallowed = [];

        public int Lost { get; private set; }

        /// <summary>The answers the server gave to the requests it received whose answers were lost.</summary>
        public IReadOnlyList<HttpStatusCode> Swallowed
        {
            get
            {
                lock (_gate)
                {
                    return [.. _swallowed];
                }
            }
        }

        public void Lose(int count, Func<RequestMessage, bool> matches, bool applied)
        {
            lock (_gate)
            {
                (_toLose, _matches, _applied, Lost, _swallowed) = (count, matches, applied, 0, []);
            }
        }

        public override async Task<ResponseMessage> SendAsync(RequestMessage request, CancellationToken cancellationToken)
        {
            bool lose, applied;
            lock (_gate)
            {
                lose = _toLose > 0 && _matches(request);
                applied = _applied;
                if (lose)
                {
                    _toLose--;
                    Lost++;
                }
            }

            if (!lose)
            {
                return await base.SendAsync(request, cancellationToken);
            }

            if (applied)
            {
                using var answer = await base.SendAsync(request, cancellationToken);
                lock (_gate)
                {
                    _swallowed.Add(answer.StatusCode);
                }
            }

            return new ResponseMessage(HttpStatusCode.RequestTimeout, request, "The answer was lost on the way back.");
        }
    }
}
