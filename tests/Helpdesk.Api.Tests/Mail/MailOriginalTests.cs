using System.Net;
using System.Net.Http.Json;
using Helpdesk.Api.Tests.Infrastructure;
using Helpdesk.Api.Tests.Infrastructure.FakeGraph;

namespace Helpdesk.Api.Tests.Mail;

/// <summary>
/// A mail's message shows only its new part; its full HTML, inline images included, stays
/// readable beside it. The tests share one app; each writes from an address of its own.
/// </summary>
public sealed class MailOriginalTests(SharedMailApp shared) : IClassFixture<SharedMailApp>
{
    private const string Quoted = "<blockquote><p>On Monday you wrote: have you tried turning it off?</p></blockquote>";
    private const string FullHtml =
        "<html><head><style>p{color:red}</style></head><body><p>It still jams, see the photo:</p>"
        + "<img src=\"cid:image001.png@01DA0001\" alt=\"jam\"><script>alert(1)</script>" + Quoted + "</body></html>";

    private static readonly byte[] Png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, 0x49, 0x48, 0x44, 0x52];

    private readonly string _alice = $"alice.{Guid.NewGuid():N}@contoso.com";

    private FakeMessage MailWithInlineImage() => new(
        _alice,
        "Printer jams",
        FullHtml,
        UniqueBody: "<p>It still jams, see the photo:</p><img src=\"cid:image001.png@01DA0001\" alt=\"jam\">",
        Attachments:
        [
            new FakeAttachment("image001.png", "image/png", Png, IsInline: true, ContentId: "<image001.png@01DA0001>"),
            new FakeAttachment("log.txt", "text/plain", "jam at 10:02"u8.ToArray()),
        ]);

    [Fact]
    public async Task The_message_is_the_unique_body_and_the_original_keeps_the_quoted_history_sanitised()
    {
        var mail = shared.Mail;
        await mail.ReceiveAsync(MailWithInlineImage());
        var ticketId = (await mail.TicketsOfAsync(_alice)).Single()["id"]!.GetValue<string>();
        var message = (await mail.MessagesAsync(ticketId)).Single()!;
        var messageId = message["id"]!.GetValue<string>();

        var response = await mail.App.ClientFor("agent", "lead@helpdesk.test").GetAsync($"/api/tickets/{ticketId}/messages/{messageId}/original");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        message["text"]!.GetValue<string>().ShouldNotContain("turning it off");
        var original = await response.Json();
        original["messageId"]!.GetValue<string>().ShouldBe(messageId);
        var html = original["html"]!.GetValue<string>();
        html.ShouldContain("turning it off");
        html.ShouldNotContain("<script", Case.Insensitive);
        html.ShouldNotContain("color:red");
        original["text"]!.GetValue<string>().ShouldContain("It still jams");
    }

    [Fact]
    public async Task An_inline_image_is_imported_flagged_with_its_content_id_and_the_original_points_at_its_download()
    {
        var mail = shared.Mail;
        await mail.ReceiveAsync(MailWithInlineImage());
        var ticketId = (await mail.TicketsOfAsync(_alice)).Single()["id"]!.GetValue<string>();
        var message = (await mail.MessagesAsync(ticketId)).Single()!;
        var files = message["attachments"]!.AsArray();
        var image = files.Single(f => f!["fileName"]!.GetValue<string>() == "image001.png")!;
        var log = files.Single(f => f!["fileName"]!.GetValue<string>() == "log.txt")!;
        var agent = mail.App.ClientFor("agent", "lead@helpdesk.test");

        var original = await (await agent.GetAsync($"/api/tickets/{ticketId}/messages/{message["id"]}/original")).Json();

        image["inline"]!.GetValue<bool>().ShouldBeTrue();
        image["contentId"]!.GetValue<string>().ShouldBe("image001.png@01DA0001");
        log["inline"]!.GetValue<bool>().ShouldBeFalse();
        log.AsObject().ContainsKey("contentId").ShouldBeFalse();
        var url = $"/api/tickets/{ticketId}/attachments/{image["id"]}";
        original["html"]!.GetValue<string>().ShouldContain($"src=\"{url}\"");
        original["html"]!.GetValue<string>().ShouldNotContain("cid:");
        var mapping = original["images"]!.AsArray().ShouldHaveSingleItem()!;
        mapping["contentId"]!.GetValue<string>().ShouldBe("image001.png@01DA0001");
        mapping["attachmentId"]!.GetValue<string>().ShouldBe(image["id"]!.GetValue<string>());
        var download = await agent.GetAsync(url);
        download.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await download.Content.ReadAsByteArrayAsync()).ShouldBe(Png);
    }

    [Fact]
    public async Task The_requester_reads_the_original_in_the_portal_with_portal_image_links()
    {
        var mail = shared.Mail;
        await mail.ReceiveAsync(MailWithInlineImage());
        var ticket = (await mail.TicketsOfAsync(_alice)).Single();
        var ticketId = ticket["id"]!.GetValue<string>();
        var contactId = ticket["requester"]!["contactId"]!.GetValue<string>();
        var message = (await mail.MessagesAsync(ticketId)).Single()!;
        var imageId = message["attachments"]!.AsArray().Single(f => f!["inline"]!.GetValue<bool>())!["id"]!.GetValue<string>();

        var response = await mail.App.ClientFor("customer", _alice, contactId).GetAsync($"/api/portal/tickets/{ticketId}/messages/{message["id"]}/original");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await response.Json())["html"]!.GetValue<string>().ShouldContain($"src=\"/api/portal/tickets/{ticketId}/attachments/{imageId}\"");
    }

    [Fact]
    public async Task A_customer_gets_no_original_on_the_staff_route_nor_of_another_customers_ticket()
    {
        var mail = shared.Mail;
        await mail.ReceiveAsync(MailWithInlineImage());
        var ticketId = (await mail.TicketsOfAsync(_alice)).Single()["id"]!.GetValue<string>();
        var messageId = (await mail.MessagesAsync(ticketId)).Single()!["id"]!.GetValue<string>();
        var mallory = $"mallory.{Guid.NewGuid():N}@fabrikam.com";
        var stranger = await mail.App.Admin.PostAsJsonAsync("/api/contacts", new { email = mallory, name = "Mallory" });
        var strangerId = (await stranger.Json())["id"]!.GetValue<string>();
        var customer = mail.App.ClientFor("customer", mallory, strangerId);

        (await customer.GetAsync($"/api/tickets/{ticketId}/messages/{messageId}/original")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        await (await customer.GetAsync($"/api/portal/tickets/{ticketId}/messages/{messageId}/original")).ShouldBeProblem(404);
    }

    [Fact]
    public async Task An_internal_note_has_no_original_for_staff_and_does_not_exist_for_the_customer()
    {
        var mail = shared.Mail;
        await mail.ReceiveAsync(MailWithInlineImage());
        var ticket = (await mail.TicketsOfAsync(_alice)).Single();
        var ticketId = ticket["id"]!.GetValue<string>();
        var agent = mail.App.ClientFor("agent", "lead@helpdesk.test");
        var note = await agent.PostAsJsonAsync($"/api/tickets/{ticketId}/messages", new { visibility = "internal", body = "<p>Ask for the model.</p>" });
        var noteId = (await note.Json())["id"]!.GetValue<string>();
        var customer = mail.App.ClientFor("customer", _alice, ticket["requester"]!["contactId"]!.GetValue<string>());

        await (await agent.GetAsync($"/api/tickets/{ticketId}/messages/{noteId}/original")).ShouldBeProblem(404);
        await (await customer.GetAsync($"/api/portal/tickets/{ticketId}/messages/{noteId}/original")).ShouldBeProblem(404);
        await (await agent.GetAsync($"/api/tickets/{ticketId}/messages/msg_missing/original")).ShouldBeProblem(404);
    }

    [Fact]
    public async Task A_plain_text_mail_keeps_no_html_original()
    {
        var mail = shared.Mail;
        await mail.ReceiveAsync(new FakeMessage(_alice, "Printer jams", "It jams.", BodyType: "text"));
        var ticketId = (await mail.TicketsOfAsync(_alice)).Single()["id"]!.GetValue<string>();
        var message = (await mail.MessagesAsync(ticketId)).Single()!;

        message["text"]!.GetValue<string>().ShouldBe("It jams.");
        await (await mail.App.ClientFor("agent", "lead@helpdesk.test").GetAsync($"/api/tickets/{ticketId}/messages/{message["id"]}/original")).ShouldBeProblem(404);
    }
}
