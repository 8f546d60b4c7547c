using System.Net.Http.Json;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Tests.Infrastructure;

namespace Helpdesk.Api.Tests.Notifications;

/// <summary>
/// An agent's reply reaches a chatting customer in the chat, not by email; the replies they never
/// answered go by email once the chat ends, and every reply after it as before (issue 24).
/// </summary>
public sealed class ChatEmailFallbackTests
{
    private const string Customer = "chatter@contoso.com";

    [Fact]
    public async Task Replies_go_to_the_open_chat_and_the_unanswered_ones_by_email_when_it_ends()
    {
        using var app = new NotificationsApp();
        var agent = app.ClientFor(Roles.Agent, "carol@helpdesk.test");
        var ticket = await agent.OpenTicketAsync(new { subject = "Chat later", requester = new { email = Customer } });
        var portal = app.ClientFor(Roles.Customer, Customer, ticket["requester"]!["contactId"]!.GetValue<string>());
        var chat = await (await portal.PostAsJsonAsync("/api/portal/chats", new { message = "Are you there?", ticketId = ticket["id"] })).Json();
        var id = ticket["id"]!.GetValue<string>();

        (await agent.PostAsJsonAsync($"/api/tickets/{id}/messages", new { visibility = "public", body = "Yes, answered live" })).EnsureSuccessStatusCode();
        (await portal.PostAsJsonAsync($"/api/portal/chats/{chat["id"]}/messages", new { body = "Great, one more thing" })).EnsureSuccessStatusCode();
        (await agent.PostAsJsonAsync($"/api/tickets/{id}/messages", new { visibility = "public", body = "Left unanswered in the chat" })).EnsureSuccessStatusCode();
        await app.PumpAsync();
        Replies(app).ShouldBeEmpty("the chat delivered both replies");

        (await portal.PostAsync($"/api/portal/chats/{chat["id"]}/close", null)).EnsureSuccessStatusCode();
        await app.PumpAsync();

        Replies(app).ShouldHaveSingleItem("the one reply the customer never answered");
        (await agent.PostAsJsonAsync($"/api/tickets/{id}/messages", new { visibility = "public", body = "After the chat" })).EnsureSuccessStatusCode();
        await app.PumpAsync();
        Replies(app).Count.ShouldBe(2);
    }

    private static IReadOnlyList<Mail> Replies(NotificationsApp app) => [.. app.MailsTo(Customer).Where(m => m.Trigger == "message.publicReply")];
}
