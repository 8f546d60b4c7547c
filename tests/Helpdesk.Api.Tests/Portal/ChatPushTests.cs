using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Threading.Channels;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Events;
using Helpdesk.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Helpdesk.Api.Tests.Portal;

/// <summary>
/// The chat's push channel (issue 24): SignalR clients negotiate through <c>/api/realtime</c> and
/// follow it to the hub (long polling over the test server), join what they may see, and hear the
/// pushes made from the stored events: the customer their own chat only, internal notes never.
/// </summary>
public sealed class ChatPushTests(HelpdeskApp app) : IClassFixture<HelpdeskApp>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private static readonly string[] Targets = ["chatMessage", "chatStarted", "chatClosed", "agentJoined", "typing"];

    private readonly HttpClient _agent = app.ClientFor(Roles.Agent, "agent@push.test");

    [Fact]
    public async Task A_customer_hears_the_agents_answers_pushed_and_another_customer_hears_nothing_of_it()
    {
        var (ticketId, chatId, customer) = await ChatAsync("pushed@push.test", "My screen is black");
        var (otherTicket, otherChat, other) = await ChatAsync("bystander@push.test", "My own question");
        await using var customerHub = await ConnectAsync(customer);
        await using var otherHub = await ConnectAsync(other);
        await using var agentHub = await ConnectAsync(_agent);
        (await customerHub.Connection.InvokeAsync<JsonElement>("JoinChat", chatId)).GetProperty("state").GetString().ShouldBe("open");
        await otherHub.Connection.InvokeAsync<JsonElement>("JoinChat", otherChat);

        await agentHub.Connection.InvokeAsync("WatchTicket", ticketId);
        var joined = await customerHub.NextAsync("agentJoined");
        joined.GetProperty("ticketId").GetString().ShouldBe(ticketId);
        (await customerHub.Connection.InvokeAsync<bool>("Typing", chatId)).ShouldBeTrue();
        (await customerHub.Connection.InvokeAsync<bool>("Typing", chatId)).ShouldBeFalse("typing is relayed at most every two seconds");
        (await agentHub.NextAsync("typing")).GetProperty("from").GetString().ShouldBe("customer");
        app.Clock.Advance(TimeSpan.FromSeconds(3));
        (await agentHub.Connection.InvokeAsync<bool>("Typing", chatId)).ShouldBeTrue();
        (await customerHub.NextAsync("typing")).GetProperty("from").GetString().ShouldBe("agent");

        await ReplyAsync(ticketId, "public", "Try the power button");
        await ReplyAsync(ticketId, "internal", "SECRET-NOTE they did this before");
        await ReplyAsync(ticketId, "public", "Then hold it ten seconds");
        await PumpAsync();

        var pushed = await customerHub.MessagesAsync(3);
        pushed.ShouldBe(["My screen is black", "Try the power button", "Then hold it ten seconds"], "the internal note between the replies is never pushed");
        (await agentHub.NextAsync("chatStarted")).GetProperty("chatId").GetString().ShouldBe(chatId);
        (await agentHub.MessagesAsync(3)).ShouldBe(pushed);

        await ReplyAsync(otherTicket, "public", "Your own answer");
        await PumpAsync();
        (await otherHub.MessagesAsync(2)).ShouldBe(["My own question", "Your own answer"], "nothing of the other customer's chat came before their own");
        otherHub.Heard.ShouldAllBe(e => e.Data.GetProperty("chatId").GetString() == otherChat);

        (await customer.PostAsync($"/api/portal/chats/{chatId}/close", null)).EnsureSuccessStatusCode();
        await ReplyAsync(ticketId, "public", "After the chat, by email");
        await ReplyAsync(otherTicket, "public", "Second answer");
        await PumpAsync();
        (await customerHub.NextAsync("chatClosed")).GetProperty("reason").GetString().ShouldBe("customer");
        (await agentHub.NextAsync("chatClosed")).GetProperty("chatId").GetString().ShouldBe(chatId);
        (await otherHub.MessagesAsync(1)).ShouldBe(["Second answer"]);
        customerHub.Heard.ShouldNotContain(e => e.Data.ToString().Contains("SECRET") || e.Data.ToString().Contains("After the chat"));
        agentHub.Heard.ShouldNotContain(e => e.Data.ToString().Contains(otherChat));
    }

    [Fact]
    public async Task The_hub_refuses_what_the_caller_may_not_see_and_any_token_but_its_own()
    {
        var (ticketId, chatId, _) = await ChatAsync("private@push.test", "Private matter");
        var (_, _, stranger) = await ChatAsync("stranger@push.test", "Hello");
        await using var strangerHub = await ConnectAsync(stranger);
        await using var agentHub = await ConnectAsync(_agent);

        (await Should.ThrowAsync<HubException>(() => strangerHub.Connection.InvokeAsync<JsonElement>("JoinChat", chatId))).Message.ShouldContain("No chat of yours");
        await Should.ThrowAsync<HubException>(() => strangerHub.Connection.InvokeAsync<JsonElement>("JoinChat", "chat_unknown"));
        await Should.ThrowAsync<HubException>(() => strangerHub.Connection.InvokeAsync("WatchTicket", ticketId));
        await Should.ThrowAsync<HubException>(() => strangerHub.Connection.InvokeAsync<bool>("Typing", chatId));
        await Should.ThrowAsync<HubException>(() => agentHub.Connection.InvokeAsync<JsonElement>("JoinChat", chatId));
        await Should.ThrowAsync<HubException>(() => agentHub.Connection.InvokeAsync<bool>("Typing", chatId), "an agent types only in a chat whose ticket they watch");
        await Should.ThrowAsync<HubException>(() => agentHub.Connection.InvokeAsync("WatchTicket", "t_unknown"));
        await ReplyAsync(ticketId, "public", "Only for the owner");
        await PumpAsync();
        strangerHub.Heard.ShouldNotContain(e => e.Data.ToString().Contains(chatId));

        var ownJwt = await Should.ThrowAsync<HttpRequestException>(() => HubWith(HelpdeskApp.Token(Roles.Customer, "private@push.test", "c_any")).StartAsync());
        ownJwt.StatusCode.ShouldBe(HttpStatusCode.Unauthorized, "the hub takes negotiate's tokens only");
        (await Should.ThrowAsync<HttpRequestException>(() => HubWith(null).StartAsync())).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        await (await app.ClientFor(Roles.Customer, "ghost@push.test", "ct_missing").PostAsync("/api/realtime/negotiate", null)).ShouldBeProblem(403);
    }

    private async Task<(string TicketId, string ChatId, HttpClient Customer)> ChatAsync(string email, string message)
    {
        var ticket = await _agent.OpenTicketAsync(new { subject = "Earlier", requester = new { email, name = "Cust" } });
        var customer = app.ClientFor(Roles.Customer, email, ticket["requester"]!["contactId"]!.GetValue<string>());
        var opened = await customer.PostAsJsonAsync("/api/portal/chats", new { message, ticketId = ticket["id"] });
        opened.StatusCode.ShouldBe(HttpStatusCode.Created, await opened.Content.ReadAsStringAsync());
        var chat = await opened.Json();
        return (ticket["id"]!.GetValue<string>(), chat["id"]!.GetValue<string>(), customer);
    }

    private async Task ReplyAsync(string ticketId, string visibility, string body) =>
        (await _agent.PostAsJsonAsync($"/api/tickets/{ticketId}/messages", new { visibility, body })).StatusCode.ShouldBe(HttpStatusCode.Created);

    private async Task PumpAsync()
    {
        await using var scope = app.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<EventPump>().RunOnceAsync(CancellationToken.None);
    }

    /// <summary>Connects as the client's caller the way a browser does: negotiate at /api/realtime with its own token, then follow the answer to the hub.</summary>
    private async Task<Listener> ConnectAsync(HttpClient caller)
    {
        var token = caller.DefaultRequestHeaders.Authorization!.Parameter!;
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(app.Server.BaseAddress, "/api/realtime"), o =>
            {
                o.HttpMessageHandlerFactory = _ => app.Server.CreateHandler();
                o.Transports = HttpTransportType.LongPolling;
                o.AccessTokenProvider = () => Task.FromResult<string?>(token);
            })
            .Build();
        var listener = new Listener(connection);
        await connection.StartAsync();
        return listener;
    }

    /// <summary>A connection straight to the hub with the given token (no negotiate).</summary>
    private HubConnection HubWith(string? token) =>
        new HubConnectionBuilder()
            .WithUrl(new Uri(app.Server.BaseAddress, "/api/realtime/hub"), o =>
            {
                o.HttpMessageHandlerFactory = _ => app.Server.CreateHandler();
                o.Transports = HttpTransportType.LongPolling;
                o.AccessTokenProvider = () => Task.FromResult(token);
            })
            .Build();

    internal sealed record Heard(string Target, JsonElement Data);

    /// <summary>Everything a connection hears, in order.</summary>
    internal sealed class Listener : IAsyncDisposable
    {
        private readonly Channel<Heard> _inbox = Channel.CreateUnbounded<Heard>();
        private readonly List<Heard> _heard = [];

        public Listener(HubConnection connection)
        {
            Connection = connection;
            foreach (var target in Targets)
            {
                connection.On<JsonElement>(target, data =>
                {
                    lock (_heard)
                    {
                        _heard.Add(new Heard(target, data));
                    }

                    _inbox.Writer.TryWrite(new Heard(target, data));
                });
            }
        }

        public HubConnection Connection { get; }

        public IReadOnlyList<Heard> Heard
        {
            get
            {
                lock (_heard)
                {
                    return [.. _heard];
                }
            }
        }

        /// <summary>The next push of this target, skipping others (they stay in <see cref="Heard"/>).</summary>
        public async Task<JsonElement> NextAsync(string target)
        {
            while (true)
            {
                var next = await _inbox.Reader.ReadAsync().AsTask().WaitAsync(Patience);
                if (next.Target == target)
                {
                    return next.Data;
                }
            }
        }

        /// <summary>The texts of the next <paramref name="count"/> chat messages pushed.</summary>
        public async Task<IReadOnlyList<string>> MessagesAsync(int count)
        {
            var texts = new List<string>();
            while (texts.Count < count)
            {
                texts.Add((await NextAsync("chatMessage")).GetProperty("message").GetProperty("text").GetString()!);
            }

            return texts;
        }

        public ValueTask DisposeAsync() => Connection.DisposeAsync();
    }
}
