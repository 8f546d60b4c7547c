using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Helpdesk.Api.Mail;
using Helpdesk.Api.Tests.Infrastructure;
using Helpdesk.Api.Tests.Infrastructure.FakeGraph;
using Microsoft.Extensions.DependencyInjection;

namespace Helpdesk.Api.Tests.Mail;

/// <summary>
/// A helpdesk with one support mailbox, wired to a fake Graph server that calls it back. Jobs
/// run when a test says so, through their trigger routes, as the Functions host would call them.
/// </summary>
public sealed class MailApp : IAsyncDisposable
{
    public const string Mailbox = "support@helpdesk.test";

    private MailApp(HelpdeskApp app, FakeGraphServer graph)
    {
        App = app;
        Graph = graph;
    }

    public HelpdeskApp App { get; }

    public FakeGraphServer Graph { get; }

    public static async Task<MailApp> StartAsync(Action<HelpdeskApp>? configure = null, bool subscribe = true)
    {
        var graph = await FakeGraphServer.StartAsync();
        var app = new HelpdeskApp()
            .With("Mail:Graph:BaseUrl", graph.BaseUrl)
            .With("Mail:Graph:Authentication", "none")
            .With("Resilience:GraphRetryDelay", "00:00:00.010")
            .With("Mail:Mailboxes:0:Id", Mailbox)
            .With("Mail:Mailboxes:0:Address", Mailbox)
            .With("Mail:NotificationUrl", subscribe ? "https://helpdesk.test/api/graph/notifications" : null)
            .With("Mail:Outbound:CoalesceSeconds", "0");
        configure?.Invoke(app);
        graph.Callback = app.CreateClient();
        return new MailApp(app, graph);
    }

    public IMailJournal Journal => App.Services.GetRequiredService<IMailJournal>();

    /// <summary>Runs a timer job through its trigger route; fails the test when the job fails.</summary>
    public async Task RunJobAsync(string functionName)
    {
        var response = await App.CreateClient().PostAsJsonAsync($"/{functionName}", new { Data = new { timer = new { IsPastDue = false } }, Metadata = new { } });
        response.EnsureSuccessStatusCode();
    }

    public Task RenewAsync() => RunJobAsync(RenewMailSubscriptions.FunctionName);

    public Task IngestAsync() => RunJobAsync(IngestMail.FunctionName);

    /// <summary>Delivers the stored events, then sends what they queued through the outbound queue.</summary>
    public async Task DeliverAsync()
    {
        await PumpAsync();
        await RunJobAsync(SendMail.FunctionName);
    }

    public Task SendQueuedAsync() => RunJobAsync(SendMail.FunctionName);

    /// <summary>Delivers the stored events to their consumers (notifications queue their mail here).</summary>
    public async Task PumpAsync()
    {
        await using var scope = App.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<Helpdesk.Api.Events.EventPump>().RunOnceAsync(CancellationToken.None);
    }

    /// <summary>A mail arrives, Graph notifies the app (subscribing first if needed), and the app ingests it.</summary>
    public async Task<string> ReceiveAsync(FakeMessage message)
    {
        if (Graph.Subscriptions.Count == 0)
        {
            await RenewAsync();
        }

        var id = Graph.Deliver(Mailbox, message);
        (await Graph.NotifyAsync(Mailbox, id)).EnsureSuccessStatusCode();
        await IngestAsync();
        return id;
    }

    /// <summary>The journal row of a Graph message, whatever its state.</summary>
    public async Task<InboundMailView> InboundOfAsync(string graphId)
    {
        foreach (var state in new[] { InboundStates.Pending, InboundStates.Done, InboundStates.Filtered, InboundStates.Duplicate, InboundStates.Quarantined, InboundStates.Dropped, InboundStates.Dead, InboundStates.Gone })
        {
            if ((await InboundAsync(state)).FirstOrDefault(m => m.GraphId == graphId) is { } found)
            {
                return found;
            }
        }

        throw new InvalidOperationException($"No inbound mail for {graphId}.");
    }

    /// <summary>Every ticket, newest first, as an agent lists them.</summary>
    public async Task<JsonArray> TicketsAsync()
    {
        var response = await App.ClientFor("agent", "lead@helpdesk.test").GetAsync("/api/tickets?view=all&limit=200");
        response.EnsureSuccessStatusCode();
        return (await response.Json())["items"]!.AsArray();
    }

    /// <summary>
    /// The tickets whose requester is one of <paramref name="requesters"/> (letter case aside),
    /// newest first, over every page: what a test sharing the app wrote, whatever others wrote.
    /// </summary>
    public async Task<List<JsonNode>> TicketsOfAsync(params string[] requesters)
    {
        var client = App.ClientFor("agent", "lead@helpdesk.test");
        var found = new List<JsonNode>();
        string? cursor = null;
        do
        {
            var response = await client.GetAsync("/api/tickets?view=all&limit=200" + (cursor is null ? string.Empty : "&cursor=" + Uri.EscapeDataString(cursor)));
            response.EnsureSuccessStatusCode();
            var page = await response.Json();
            found.AddRange(page["items"]!.AsArray()
                .Where(t => t!["requester"]?["email"]?.GetValue<string>() is { } email && requesters.Contains(email, StringComparer.OrdinalIgnoreCase))
                .Select(t => t!));
            cursor = page["nextCursor"]?.GetValue<string>();
        }
        while (cursor is not null);

        return found;
    }

    /// <summary>The mails the fake Graph sent to <paramref name="address"/> (letter case aside).</summary>
    public IReadOnlyList<SentMail> SentTo(string address) =>
        [.. Graph.Sent.Where(s => s.To.Contains(address, StringComparer.OrdinalIgnoreCase))];

    public async Task<JsonArray> MessagesAsync(string ticketId)
    {
        var response = await App.ClientFor("agent", "lead@helpdesk.test").GetAsync($"/api/tickets/{ticketId}/messages?limit=200");
        response.EnsureSuccessStatusCode();
        return (await response.Json())["items"]!.AsArray();
    }

    public async Task<IReadOnlyList<InboundMailView>> InboundAsync(string state = InboundStates.Pending) =>
        await Journal.ListAsync(state, 200, null, CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        Graph.Callback?.Dispose();
        await App.DisposeAsync();
        await Graph.DisposeAsync();
    }
}

/// <summary>One helpdesk and fake Graph shared by the tests of a class; each test writes its own mail.</summary>
public sealed class SharedMailApp : IAsyncLifetime
{
    public MailApp Mail { get; private set; } = null!;

    public async Task InitializeAsync() => Mail = await MailApp.StartAsync();

    public async Task DisposeAsync() => await Mail.DisposeAsync();
}
