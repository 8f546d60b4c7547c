using Helpdesk.Api.Auth;
using Helpdesk.Api.Common;
using Helpdesk.Api.Directory;
using Helpdesk.Api.Storage;

namespace Helpdesk.Api.Privacy;

/// <summary>
/// GDPR for a contact (docs/adr/0010-gdpr-export-and-erasure.md). Both routes are the admin's:
/// an export hands over everything held about a person in one file and an erasure cannot be
/// undone, so neither is a supervisor's day-to-day act. <c>GET /api/contacts/{id}/export</c>
/// answers a ZIP archive (<see cref="ContactExport"/>); <c>POST /api/contacts/{id}/erase</c>
/// requires the contact's ETag as If-Match (the admin confirms the very record they reviewed) and
/// answers what it changed, with the erased contact's new ETag.
/// </summary>
public static class PrivacyEndpoints
{
    public static IServiceCollection AddPrivacy(this IServiceCollection services) =>
        services
            .AddSingleton(StoreSelection.Of<IPersonTicketIndex, SqlitePersonTicketIndex, CosmosPersonTicketIndex>())
            .AddSingleton<ContactTickets>()
            .AddScoped<ContactExport>()
            .AddScoped<ContactErasure>();

    public static RouteGroupBuilder MapPrivacyEndpoints(this RouteGroupBuilder api)
    {
        var contact = api.MapGroup("/contacts/{id}").WithTags("contacts").RequireAuthorization(Policies.Admin);
        contact.MapGet("/export", ExportAsync).WithName("ExportContact")
            .Produces<Stream>(StatusCodes.Status200OK, "application/zip")
            .ProducesProblems(StatusCodes.Status404NotFound);
        contact.MapPost("/erase", EraseAsync).WithName("EraseContact")
            .Produces<ErasureReport>()
            .ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status412PreconditionFailed, StatusCodes.Status428PreconditionRequired);
        return api;
    }

    private static async Task<IResult> ExportAsync(string id, bool? includeInternal, IDirectoryStore directory, ContactExport export, CancellationToken cancellationToken)
    {
        if (await directory.FindAsync(DirectoryKinds.Contact, id, cancellationToken) is not { } found)
        {
            return Problems.NotFound("contact");
        }

        return TypedResults.Stream(
            body => export.WriteAsync(found.Value, includeInternal ?? false, body, cancellationToken),
            "application/zip",
            $"contact-{found.Value.Id}.zip");
    }

    private static async Task<IResult> EraseAsync(string id, IDirectoryStore directory, ContactErasure erasure, Caller caller, HttpContext http, CancellationToken cancellationToken)
    {
        if (await directory.FindAsync(DirectoryKinds.Contact, id, cancellationToken) is not { } found)
        {
            return Problems.NotFound("contact");
        }

        if (ETags.RequireMatch(http.Request, found.Version) is { } refused)
        {
            return Problems.Result(refused);
        }

        var (report, version) = await erasure.EraseAsync(found, await caller.ActorAsync(cancellationToken), cancellationToken);
        ETags.Set(http.Response, version);
        return TypedResults.Ok(report);
    }
}
