using System.Net.Http.Json;
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
            .With("Mail:Mailboxes:0:Id", Mailbox)
            .With("Mail:Mailboxes:0:Address", Mailbox)
            .With("Mail:NotificationUrl", subscribe ? "https://helpdesk.test/api/graph/notifications" : null);
        configure?.Invoke(app);
        graph.Callback = app.CreateClient();
        return new MailApp(app, graph);
    }

    public SqliteMailStore Store => App.Services.GetRequiredService<SqliteMailStore>();

    /// <summary>Runs a timer job through its trigger route; fails the test when the job fails.</summary>
    public async Task RunJobAsync(string functionName)
    {
        var response = await App.CreateClient().PostAsJsonAsync($"/{functionName}", new { Data = new { timer = new { IsPastDue = false } }, Metadata = new { } });
        response.EnsureSuccessStatusCode();
    }

    public Task RenewAsync() => RunJobAsync(RenewMailSubscriptions.FunctionName);

    public async Task<IReadOnlyList<InboundMailView>> InboundAsync(string state = InboundStates.Pending) =>
        await Store.ListAsync(state, 200, null, CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        Graph.Callback?.Dispose();
        await App.DisposeAsync();
        await Graph.DisposeAsync();
    }
}
