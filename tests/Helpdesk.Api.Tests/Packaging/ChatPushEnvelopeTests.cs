using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Tests.Infrastructure;

namespace Helpdesk.Api.Tests.Packaging;

/// <summary>The app configured for Azure SignalR Service (as infra-bicep deploys it).</summary>
public sealed class AzureRealtimeApp : HelpdeskApp
{
    public AzureRealtimeApp() => With("Realtime:Service", "AzureSignalR");
}

/// <summary>
/// The chat's push on Azure, driven as the Functions host drives the custom handler: PushChat
/// answers its sends as the <c>signalR</c> output binding, and RealtimeConnect hands Azure SignalR
/// Service's connection info only to the caller it was made for (issue 24, docs/adr/0011-chat-push.md).
/// </summary>
public sealed class ChatPushEnvelopeTests(AzureRealtimeApp app) : IClassFixture<AzureRealtimeApp>
{
    private readonly HttpClient _agent = app.ClientFor(Roles.Agent, "agent@azurepush.test");

    [Fact]
    public async Task PushChat_answers_a_public_chat_message_as_signalR_messages_to_the_customer_and_the_staff_and_a_note_as_nothing_and_the_first_answer_says_an_agent_joined()
    {
        var ticket = await _agent.OpenTicketAsync(new { subject = "Azure chat", requester = new { email = "azure@azurepush.test" } });
        var ticketId = ticket["id"]!.GetValue<string>();
        var contactId = ticket["requester"]!["contactId"]!.GetValue<string>();
        var customer = app.ClientFor(Roles.Customer, "azure@azurepush.test", contactId);
        var chat = await (await customer.PostAsJsonAsync("/api/portal/chats", new { message = "Hello from Azure", ticketId })).Json();
        (await _agent.PostAsJsonAsync($"/api/tickets/{ticketId}/messages", new { visibility = "public", body = "Answered live" })).EnsureSuccessStatusCode();
        (await _agent.PostAsJsonAsync($"/api/tickets/{ticketId}/messages", new { visibility = "internal", body = "SECRET-NOTE" })).EnsureSuccessStatusCode();

        (await _agent.PostAsJsonAsync($"/api/tickets/{ticketId}/messages", new { visibility = "public", body = "Still here" })).EnsureSuccessStatusCode();
        var added = (await app.StoredEventsAsync(ticketId)).Where(e => e["type"]!.GetValue<string>() == "ticket.messageAdded").ToList();

        var customerMessage = await PushAsync(added[0]);
        var reply = await PushAsync(added[1]);
        var note = await PushAsync(added[2]);
        var secondReply = await PushAsync(added[3]);

        var sends = reply["Outputs"]!["signalRMessages"]!.AsArray();
        sends.Select(s => s!["target"]!.GetValue<string>() + "@" + (s["userId"]?.GetValue<string>() ?? "group:" + s["groupName"]!.GetValue<string>()))
            .ShouldBe(["chatMessage@group:staff", $"agentJoined@contact:{contactId}", $"chatMessage@contact:{contactId}"], "the agent's first answer in the chat tells the customer an agent joined, before the answer");
        var joined = sends[1]!["arguments"]![0]!;
        (joined["chatId"]!.GetValue<string>(), joined["ticketId"]!.GetValue<string>()).ShouldBe((chat["id"]!.GetValue<string>(), ticketId));
        joined["agentName"]!.GetValue<string>().ShouldNotBeNullOrWhiteSpace();
        Targets(customerMessage).ShouldNotContain("agentJoined");
        Targets(secondReply).ShouldBe(["chatMessage", "chatMessage"], "an agent joins once");
        var pushed = sends[0]!["arguments"]![0]!;
        pushed["chatId"]!.GetValue<string>().ShouldBe(chat["id"]!.GetValue<string>());
        pushed["message"]!["text"]!.GetValue<string>().ShouldBe("Answered live");
        pushed["message"]!["visibility"]!.GetValue<string>().ShouldBe("public");
        note["Outputs"]!.AsObject().ShouldBeEmpty("an internal note is never pushed");
        note.ToJsonString().ShouldNotContain("SECRET");
    }

    [Fact]
    public async Task RealtimeConnect_hands_the_connection_info_only_to_the_caller_it_was_made_for()
    {
        var ticket = await _agent.OpenTicketAsync(new { subject = "Connect", requester = new { email = "connect@azurepush.test" } });
        var contactId = ticket["requester"]!["contactId"]!.GetValue<string>();
        var customer = app.ClientFor(Roles.Customer, "connect@azurepush.test", contactId);
        var stranger = await _agent.OpenTicketAsync(new { subject = "Other", requester = new { email = "other@azurepush.test" } });
        var strangerToken = HelpdeskApp.Token(Roles.Customer, "other@azurepush.test", stranger["requester"]!["contactId"]!.GetValue<string>());

        var negotiated = await (await customer.PostAsync("/api/realtime/negotiate", null)).Json();
        var url = new Uri(negotiated["url"]!.GetValue<string>());
        var user = Uri.UnescapeDataString(url.Query["?user=".Length..]);
        var token = negotiated["accessToken"]!.GetValue<string>();

        url.AbsolutePath.ShouldBe("/api/realtime/connect");
        user.ShouldBe($"contact:{contactId}");
        var granted = await ConnectAsync(user, token);
        granted["Outputs"]!["res"]!["statusCode"]!.GetValue<int>().ShouldBe(200);
        JsonNode.Parse(granted["Outputs"]!["res"]!["body"]!.GetValue<string>())!["accessToken"]!.GetValue<string>().ShouldBe("service-token");
        granted["Outputs"]!.AsObject().ContainsKey("signalRGroupActions").ShouldBeFalse("a customer joins no group");

        var refused = await ConnectAsync(user, strangerToken);
        refused["Outputs"]!["res"]!["statusCode"]!.GetValue<int>().ShouldBe(401);
        refused.ToJsonString().ShouldNotContain("service-token");
        (await ConnectAsync(user, "not-a-jwt"))["Outputs"]!["res"]!["statusCode"]!.GetValue<int>().ShouldBe(401);

        var staffToken = HelpdeskApp.Token(Roles.Agent, "agent@azurepush.test");
        var staffUser = Uri.UnescapeDataString(new Uri((await (await _agent.PostAsync("/api/realtime/negotiate", null)).Json())["url"]!.GetValue<string>()).Query["?user=".Length..]);
        var staff = await ConnectAsync(staffUser, staffToken);
        staff["Outputs"]!["res"]!["statusCode"]!.GetValue<int>().ShouldBe(200);
        var action = staff["Outputs"]!["signalRGroupActions"]!.AsArray().Single()!;
        (action["userId"]!.GetValue<string>(), action["groupName"]!.GetValue<string>(), action["action"]!.GetValue<string>()).ShouldBe((staffUser, "staff", "add"));
    }

    [Fact]
    public async Task RealtimeTyping_relays_typing_to_the_other_side_of_a_chat_the_sender_may_see_at_most_once_per_interval()
    {
        var ticket = await _agent.OpenTicketAsync(new { subject = "Typing", requester = new { email = "typing@azurepush.test" } });
        var ticketId = ticket["id"]!.GetValue<string>();
        var contactId = ticket["requester"]!["contactId"]!.GetValue<string>();
        var customer = app.ClientFor(Roles.Customer, "typing@azurepush.test", contactId);
        var chatId = (await (await customer.PostAsJsonAsync("/api/portal/chats", new { message = "Are you there?", ticketId })).Json())["id"]!.GetValue<string>();
        var stranger = (await _agent.OpenTicketAsync(new { subject = "Nosy", requester = new { email = "nosy@azurepush.test" } }))["requester"]!["contactId"]!.GetValue<string>();
        var customerConnection = "conn-" + chatId;

        var typed = await TypingAsync($"contact:{contactId}", customerConnection, chatId);
        var send = typed["Outputs"]!["signalRMessages"]!.AsArray().ShouldHaveSingleItem()!;
        (send["target"]!.GetValue<string>(), send["groupName"]!.GetValue<string>(), send["userId"]).ShouldBe(("typing", "staff", null));
        var push = send["arguments"]![0]!;
        (push["chatId"]!.GetValue<string>(), push["ticketId"]!.GetValue<string>(), push["from"]!.GetValue<string>()).ShouldBe((chatId, ticketId, "customer"));
        typed["ReturnValue"]!.GetValue<bool>().ShouldBeTrue();

        var again = await TypingAsync($"contact:{contactId}", customerConnection, chatId);
        again["Outputs"]!.AsObject().ShouldBeEmpty("at most once per Realtime:TypingIntervalSeconds per connection");
        again["ReturnValue"]!.GetValue<bool>().ShouldBeFalse();
        app.Clock.Advance(TimeSpan.FromSeconds(2));
        (await TypingAsync($"contact:{contactId}", customerConnection, chatId))["ReturnValue"]!.GetValue<bool>().ShouldBeTrue("the interval has passed");

        var agentTyped = await TypingAsync("staff:agent-sub", "conn-agent-" + chatId, chatId);
        var toCustomer = agentTyped["Outputs"]!["signalRMessages"]!.AsArray().ShouldHaveSingleItem()!;
        (toCustomer["userId"]!.GetValue<string>(), toCustomer["arguments"]![0]!["from"]!.GetValue<string>()).ShouldBe(($"contact:{contactId}", "agent"));

        foreach (var (user, chat, arguments) in new[]
        {
            ($"contact:{stranger}", chatId, new JsonArray(chatId)),
            ("someone", chatId, new JsonArray(chatId)),
            ($"contact:{contactId}", "no-such-chat", new JsonArray("no-such-chat")),
            ($"contact:{contactId}", chatId, new JsonArray()),
        })
        {
            var refused = await TypingAsync(user, "conn-refused-" + Guid.NewGuid(), chat, arguments);
            refused["Outputs"]!.AsObject().ShouldBeEmpty($"{user} may not type in {chat}");
            refused["ReturnValue"]!.GetValue<bool>().ShouldBeFalse();
        }

        (await customer.PostAsync($"/api/portal/chats/{chatId}/close", null)).EnsureSuccessStatusCode();
        (await TypingAsync("staff:agent-sub", "conn-late-" + chatId, chatId))["Outputs"]!.AsObject().ShouldBeEmpty("nobody types in a closed chat");
    }

    private static string[] Targets(JsonNode answer) =>
        answer["Outputs"]!["signalRMessages"]!.AsArray().Select(s => s!["target"]!.GetValue<string>()).ToArray();

    /// <summary>What the host sends RealtimeTyping for a client's <c>Typing(chatId)</c>: the service's invocation context, serialized again.</summary>
    private async Task<JsonNode> TypingAsync(string userId, string connectionId, string chatId, JsonArray? arguments = null)
    {
        var invocation = new JsonObject
        {
            ["Arguments"] = arguments ?? new JsonArray(chatId),
            ["Category"] = "messages",
            ["Event"] = "typing",
            ["Hub"] = "chat",
            ["ConnectionId"] = connectionId,
            ["UserId"] = userId,
            ["Headers"] = new JsonObject(),
            ["Query"] = new JsonObject(),
            ["Claims"] = new JsonObject(),
        };
        var envelope = new JsonObject
        {
            ["Data"] = new JsonObject { ["invocation"] = invocation.ToJsonString(), ["chatId"] = chatId },
            ["Metadata"] = new JsonObject(),
        };
        var response = await app.CreateClient().PostAsync("/RealtimeTyping", new StringContent(envelope.ToJsonString(), Encoding.UTF8, "application/json"));
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return await response.Json();
    }

    /// <summary>A stored event as the Service Bus message the relay sends, delivered to PushChat.</summary>
    private async Task<JsonNode> PushAsync(JsonNode stored)
    {
        var body = JsonSerializer.Serialize(new JsonObject
        {
            ["eventId"] = stored["id"]!.GetValue<string>(),
            ["type"] = stored["type"]!.GetValue<string>(),
            ["ticketId"] = stored["ticketId"]!.GetValue<string>(),
            ["correlationId"] = stored["id"]!.GetValue<string>(),
            ["occurredAt"] = stored["occurredAt"]!.DeepClone(),
            ["actor"] = stored["actor"]!.DeepClone(),
            ["data"] = stored["data"]!.DeepClone(),
        });
        var envelope = new JsonObject
        {
            ["Data"] = new JsonObject { ["message"] = JsonSerializer.Serialize(body) },
            ["Metadata"] = new JsonObject { ["DeliveryCount"] = "1" },
        };
        var response = await app.CreateClient().PostAsync("/PushChat", new StringContent(envelope.ToJsonString(), Encoding.UTF8, "application/json"));
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return await response.Json();
    }

    /// <summary>What the host sends RealtimeConnect: the HTTP request and the binding's connection info for the user in the query.</summary>
    private async Task<JsonNode> ConnectAsync(string user, string token)
    {
        var envelope = new JsonObject
        {
            ["Data"] = new JsonObject
            {
                ["req"] = new JsonObject
                {
                    ["Url"] = $"https://helpdesk.example/api/realtime/connect/negotiate?user={Uri.EscapeDataString(user)}",
                    ["Method"] = "POST",
                    ["Query"] = new JsonObject { ["user"] = user },
                    ["Headers"] = new JsonObject { ["Authorization"] = new JsonArray($"Bearer {token}") },
                },
                ["connectionInfo"] = new JsonObject { ["url"] = "https://helpdesk.service.signalr.net/client/?hub=chat", ["accessToken"] = "service-token" },
            },
            ["Metadata"] = new JsonObject(),
        };
        var response = await app.CreateClient().PostAsync("/RealtimeConnect", new StringContent(envelope.ToJsonString(), Encoding.UTF8, "application/json"));
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return await response.Json();
    }
}
