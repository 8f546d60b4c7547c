using Microsoft.Playwright;

namespace Helpdesk.Web.Tests.Browser;

/// <summary>The console in a real browser, against the real API and its demo data.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class ConsoleTests(ConsoleServer server)
{
    [Fact]
    public async Task An_agent_signs_in_from_the_development_page_and_sees_the_open_view()
    {
        await using var console = await ConsolePage.OpenAsync(server);
        await console.RunAsync(async page =>
        {
            await page.GotoAsync("/");
            await page.WaitForURLAsync("**/sign-in**");
            (await page.Locator("h1").TextContentAsync()).ShouldBe("Sign in");
            (await console.AccessibilityViolationsAsync()).ShouldBeEmpty();

            await console.SignInAsync("ada@helpdesk.example");

            await page.WaitForURLAsync("**/views/open");
            await page.Locator("table.ticket-list tbody tr").First.WaitForAsync();
            (await page.Locator("h1").TextContentAsync()).ShouldBe("Open");
            (await page.GetByTestId("signed-in-user").TextContentAsync()).ShouldBe("ada@helpdesk.example");
            (await page.Locator("table.ticket-list tbody tr").CountAsync()).ShouldBeGreaterThan(0);
            (await page.Locator("table.ticket-list tbody tr .sla-badge").CountAsync()).ShouldBeGreaterThan(0);
            (await console.AccessibilityViolationsAsync()).ShouldBeEmpty();
            console.Errors.ShouldBeEmpty();
        });
    }

    [Fact]
    public async Task The_ticket_list_works_with_the_keyboard_alone()
    {
        await using var console = await ConsolePage.OpenAsync(server);
        await console.RunAsync(async page =>
        {
            await console.SignInAsync("bob@helpdesk.example");
            await page.WaitForURLAsync("**/views/open");
            var links = page.Locator("table.ticket-list a.ticket-link");
            await links.First.WaitForAsync();

            // Tab from the top of the page until the list has the focus: the list is one tab stop.
            await page.Locator("body").FocusAsync();
            for (var i = 0; i < 40 && !await IsFocusedAsync(page, "a.ticket-link"); i++)
            {
                await page.Keyboard.PressAsync("Tab");
            }

            (await FocusedTextAsync(page)).ShouldBe(await links.Nth(0).TextContentAsync());
            await page.Keyboard.PressAsync("ArrowDown");
            await page.Keyboard.PressAsync("ArrowDown");
            (await FocusedTextAsync(page)).ShouldBe(await links.Nth(2).TextContentAsync());
            await page.Keyboard.PressAsync("ArrowUp");
            (await FocusedTextAsync(page)).ShouldBe(await links.Nth(1).TextContentAsync());
            await page.Keyboard.PressAsync("Home");
            (await FocusedTextAsync(page)).ShouldBe(await links.Nth(0).TextContentAsync());

            await page.Keyboard.PressAsync("ArrowDown");
            var number = await FocusedTextAsync(page);
            await page.Keyboard.PressAsync("Enter");

            await page.WaitForURLAsync("**/tickets/**");
            await page.Locator("h1 .ticket-number").WaitForAsync();
            (await page.Locator("h1 .ticket-number").TextContentAsync()).ShouldBe(number);
            (await console.AccessibilityViolationsAsync()).ShouldBeEmpty();
        });
    }

    [Fact]
    public async Task A_customer_signs_in_and_sees_the_portal_list()
    {
        await using var console = await ConsolePage.OpenAsync(server);
        await console.RunAsync(async page =>
        {
            await console.SignInAsync("alice@contoso.com");

            await page.WaitForURLAsync("**/portal");
            await page.Locator("table.ticket-list tbody tr").First.WaitForAsync();
            (await page.Locator("h1").TextContentAsync()).ShouldBe("My tickets");
            (await page.Locator("nav.fluent-nav").InnerTextAsync()).ShouldNotContain("Unassigned");
            (await console.AccessibilityViolationsAsync()).ShouldBeEmpty();
            console.Errors.ShouldBeEmpty();
        });
    }

    [Fact]
    public async Task A_french_browser_gets_the_console_in_french()
    {
        await using var console = await ConsolePage.OpenAsync(server, locale: "fr-FR");
        await console.RunAsync(async page =>
        {
            await console.SignInAsync("sam@helpdesk.example");

            await page.WaitForURLAsync("**/views/open");
            await page.Locator("table.ticket-list tbody tr").First.WaitForAsync();
            (await page.Locator("h1").TextContentAsync()).ShouldBe("Ouverts");
            (await page.Locator("html").GetAttributeAsync("lang")).ShouldBe("fr");
            (await page.Locator("table.ticket-list thead").InnerTextAsync()).ShouldContain("Objet");
        });
    }

    private static Task<bool> IsFocusedAsync(IPage page, string selector) =>
        page.EvaluateAsync<bool>("s => document.activeElement?.matches(s) ?? false", selector);

    private static Task<string> FocusedTextAsync(IPage page) =>
        page.EvaluateAsync<string>("() => document.activeElement?.textContent ?? ''");
}
