using System.Text.Json;
using System.Text.Json.Serialization;
using Helpdesk.Web.Api.Client;
using Helpdesk.Web.Components;

namespace Helpdesk.Web.Api;

/// <summary>
/// GET /api/portal/tickets declares no response schema yet, so the generated client returns its
/// body as a stream; this reads it into the few fields the portal list shows. Delete it when the
/// document types the operation (issue 17) and use the generated model, as the agents' views do.
/// </summary>
public static class PortalTickets
{
    public static async Task<PortalTicketPage> PortalTicketsAsync(this HelpdeskApiClient api, string? cursor, int limit, CancellationToken cancellationToken)
    {
        await using var body = await api.Api.Portal.Tickets.GetAsync(r =>
        {
            r.QueryParameters.Cursor = cursor;
            r.QueryParameters.Limit = limit;
        }, cancellationToken);
        return body is null
            ? new PortalTicketPage([], null)
            : await JsonSerializer.DeserializeAsync(body, PortalJson.Default.PortalTicketPage, cancellationToken) ?? new PortalTicketPage([], null);
    }
}

public sealed record PortalTicketPage(IReadOnlyList<PortalTicket> Items, string? NextCursor);

public sealed record PortalTicket(string Id, string Number, string Subject, string Status, string Priority, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public TicketRow ToRow() => new(Id, Number, Subject, null, Status, Priority, null, null, UpdatedAt);
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(PortalTicketPage))]
internal sealed partial class PortalJson : JsonSerializerContext;
