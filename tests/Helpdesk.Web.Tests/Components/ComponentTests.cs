using System.Globalization;
using System.Xml.Linq;
using Bunit;
using Helpdesk.Web.Auth;
using Helpdesk.Web.Components;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.FluentUI.AspNetCore.Components;

namespace Helpdesk.Web.Tests.Components;

/// <summary>The console's components rendered without a browser (bunit), in English and French.</summary>
public sealed class ComponentTests : IDisposable
{
    private readonly BunitContext _context = new();
    private readonly CultureInfo _culture = CultureInfo.CurrentCulture;
    private readonly CultureInfo _uiCulture = CultureInfo.CurrentUICulture;

    public ComponentTests()
    {
        _context.JSInterop.Mode = JSRuntimeMode.Loose;
        _context.Services.AddLocalization();
        _context.Services.AddFluentUIComponents();
    }

    private static readonly DateTimeOffset Due = new(2026, 3, 2, 14, 30, 0, TimeSpan.Zero);

    private static TicketRow Row(string id, string? sla = "red", string status = "inProgress") =>
        new(id, $"HD-2026-{id}", $"Subject {id}", "Alice Durand", status, "high", sla, Due, Due.AddHours(-3));

    [Fact]
    public void Ticket_rows_link_to_their_ticket_and_show_the_sla_colour_in_words()
    {
        var list = _context.Render<TicketList>(p => p
            .Add(c => c.Items, [Row("00001"), Row("00002", sla: "green"), Row("00003", sla: null)])
            .Add(c => c.HrefFor, row => $"tickets/{row.Id}"));

        var rows = list.FindAll("tbody tr");
        rows.Count.ShouldBe(3);
        rows[0].ClassList.ShouldContain("sla-red");
        rows[0].TextContent.ShouldContain("Late");
        rows[1].TextContent.ShouldContain("On time");
        rows[2].ClassList.ShouldContain("sla-none");
        list.Find("tbody tr a").GetAttribute("href").ShouldBe("tickets/00001");
        list.Find("tbody tr").TextContent.ShouldContain("In progress");
    }

    [Fact]
    public void The_list_is_one_tab_stop()
    {
        var list = _context.Render<TicketList>(p => p
            .Add(c => c.Items, [Row("1"), Row("2"), Row("3")])
            .Add(c => c.HrefFor, row => row.Id));

        list.FindAll("a.ticket-link").Select(a => a.GetAttribute("tabindex")).ShouldBe(["0", "-1", "-1"]);
        list.Find("table").GetAttribute("aria-describedby").ShouldNotBeNullOrEmpty();
    }

    [Fact]
    public void The_load_more_button_shows_only_while_there_is_a_next_page()
    {
        var loaded = 0;
        var list = _context.Render<TicketList>(p => p
            .Add(c => c.Items, [Row("1")])
            .Add(c => c.HrefFor, row => row.Id)
            .Add(c => c.HasMore, true)
            .Add(c => c.OnLoadMore, () => loaded++));

        list.Find("fluent-button").Click();
        loaded.ShouldBe(1);

        list.Render(p => p.Add(c => c.HasMore, false));
        list.FindAll("fluent-button").ShouldBeEmpty();
    }

    [Fact]
    public void In_french_values_dates_and_counts_are_french()
    {
        UseCulture("fr-FR");
        var list = _context.Render<TicketList>(p => p
            .Add(c => c.Items, [Row("1", status: "waitingOnCustomer")])
            .Add(c => c.HrefFor, row => row.Id));

        var row = list.Find("tbody tr").TextContent;
        row.ShouldContain("En attente du client");
        row.ShouldContain("Haute");
        row.ShouldContain("En retard");
        row.ShouldContain(Due.ToLocalTime().ToString("g", CultureInfo.GetCultureInfo("fr-FR")));
        list.Find("thead").TextContent.ShouldContain("Objet");
    }

    [Fact]
    public void A_page_the_console_does_not_have_yet_says_so()
    {
        var page = _context.Render<UnderConstruction>(p => p.Add(c => c.Title, "Teams"));

        page.Find("h1").TextContent.ShouldBe("Teams");
        page.Markup.ShouldContain("not in the console yet");
    }

    [Fact]
    public void English_and_french_texts_have_the_same_keys()
    {
        static HashSet<string> Keys(string file) =>
            [.. XDocument.Load(Repository.File("src", "Helpdesk.Web", "Resources", file)).Root!.Elements("data").Select(d => d.Attribute("name")!.Value)];

        Keys("Strings.fr.resx").ShouldBe(Keys("Strings.resx"), ignoreOrder: true);
    }

    [Fact]
    public void A_development_token_gives_the_roles_and_contact_and_expires()
    {
        var now = new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);
        var token = Jwt($$"""{"sub":"ada@helpdesk.example","email":"ada@helpdesk.example","roles":["agent","supervisor"],"exp":{{now.AddHours(1).ToUnixTimeSeconds()}}}""");

        var user = TokenClaims.Read(token, now)!;

        user.IsInRole(Roles.Agent).ShouldBeTrue();
        user.IsInRole(Roles.Supervisor).ShouldBeTrue();
        user.FindFirst("email")!.Value.ShouldBe("ada@helpdesk.example");
        TokenClaims.Read(token, now.AddHours(2)).ShouldBeNull();
        TokenClaims.Read("not-a-token", now).ShouldBeNull();
    }

    private static string Jwt(string payload) =>
        $"e30.{Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(payload)).TrimEnd('=').Replace('+', '-').Replace('/', '_')}.sig";

    private static void UseCulture(string name)
    {
        CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = CultureInfo.GetCultureInfo(name);
    }

    public void Dispose()
    {
        CultureInfo.CurrentCulture = _culture;
        CultureInfo.CurrentUICulture = _uiCulture;
        _context.Dispose();
    }
}
