using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace Helpdesk.Benchmarks;

/// <summary>
/// The requests of <c>load</c> and <c>startup</c>, as an agent of the demo helpdesk sends them:
/// create a ticket, the first page (25) of the open and the late views, a public reply (which
/// mails the customer), and the mixed agent workload, 80 % reads and 20 % writes in a fixed cycle of
/// ten: 4 × view=open, 3 × GET one ticket, 1 × view=late, 1 × create, 1 × reply. Replies and
/// ticket reads go round the seeded tickets, so no two connections wait on the same ticket.
/// </summary>
internal sealed class AgentWorkload(IReadOnlyList<string> ticketIds)
{
    public static readonly string[] Scenarios = ["view=open", "view=late", "create", "reply", "mixed"];

    private static readonly string[] MixedCycle = ["view=open", "ticket", "view=open", "view=late", "create", "view=open", "ticket", "view=open", "reply", "ticket"];
    private static readonly string[] Priorities = ["low", "normal", "high", "urgent"];
    private static readonly byte[][] CreateBodies = Enumerable.Range(0, 64).Select(i => Encoding.UTF8.GetBytes(
        $$"""{"subject":"Load test ticket {{i}}","description":"The printer on floor {{i % 7}} jams.","requester":{"email":"customer{{i}}@bench.test"},"priority":"{{Priorities[i % 4]}}"}""")).ToArray();

    private static readonly byte[] ReplyBody = """{"visibility":"public","body":"Thanks, we are looking into it."}"""u8.ToArray();

    public Func<long, HttpRequestMessage> Requests(string scenario) => scenario switch
    {
        "mixed" => n => Request(MixedCycle[n % MixedCycle.Length], n / MixedCycle.Length),
        _ => n => Request(scenario, n),
    };

    /// <summary>
    /// Creates <paramref name="count"/> open tickets over 8 connections, one in ten due yesterday (so the
    /// late view has a full first page), and returns their ids.
    /// </summary>
    public static async Task<IReadOnlyList<string>> SeedAsync(HttpClient client, int count, CancellationToken cancellationToken)
    {
        var ids = new string[count];
        var yesterday = DateTimeOffset.UtcNow.AddDays(-1);
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (i, ct) =>
        {
            using var response = await client.PostAsJsonAsync(
                "/api/tickets",
                new { subject = $"Seeded ticket {i}", requester = new { email = $"customer{i % 64}@bench.test" }, priority = Priorities[i % 4], dueAt = i % 10 == 9 ? yesterday : (DateTimeOffset?)null },
                ct);
            ids[i] = await IdAsync(response, ct);
        });
        return ids;
    }

    /// <summary>The ids of the first 200 tickets of the open view: the tickets of an existing data folder to reply to.</summary>
    public static async Task<IReadOnlyList<string>> OpenTicketIdsAsync(HttpClient client, CancellationToken cancellationToken)
    {
        var page = await client.GetFromJsonAsync<JsonObject>("/api/tickets?view=open&limit=200", cancellationToken);
        var ids = page!["items"]!.AsArray().Select(t => t!["id"]!.GetValue<string>()).ToList();
        return ids.Count > 0 ? ids : throw new InvalidOperationException("The open view is empty: nothing to reply to.");
    }

    /// <summary>How many tickets the first page (at most 25) of a view holds: a check that the view measured is not empty.</summary>
    public static async Task<int> FirstPageCountAsync(HttpClient client, string view, CancellationToken cancellationToken)
    {
        var page = await client.GetFromJsonAsync<JsonObject>($"/api/tickets?{view}&limit=25", cancellationToken);
        return page!["items"]!.AsArray().Count;
    }

    private static async Task<string> IdAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        return response.IsSuccessStatusCode
            ? JsonNode.Parse(body)!["id"]!.GetValue<string>()
            : throw new InvalidOperationException($"Seeding a ticket answered {(int)response.StatusCode}: {body}");
    }

    private HttpRequestMessage Request(string operation, long n) => operation switch
    {
        "view=open" or "view=late" => new HttpRequestMessage(HttpMethod.Get, $"/api/tickets?{operation}&limit=25"),
        "ticket" => new HttpRequestMessage(HttpMethod.Get, $"/api/tickets/{Ticket(n)}"),
        "create" => Post("/api/tickets", CreateBodies[n % CreateBodies.Length]),
        "reply" => Post($"/api/tickets/{Ticket(n)}/messages", ReplyBody),
        _ => throw new ArgumentOutOfRangeException(nameof(operation), operation, "Not an operation of the workload."),
    };

    private string Ticket(long n) => ticketIds[(int)(n % ticketIds.Count)];

    private static HttpRequestMessage Post(string path, byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
    }

    public static string Describe(string scenario) => scenario switch
    {
        "create" => "POST /api/tickets",
        "reply" => "POST /api/tickets/{id}/messages (public)",
        "mixed" => "mixed: 80 % reads, 20 % writes",
        _ => $"GET /api/tickets?{scenario}&limit=25",
    };
}
