using FluentValidation;
using Helpdesk.Api.Common;
using Helpdesk.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Helpdesk.Api.Tests.Hosting;

/// <summary>Every route that takes a JSON body runs that body's validator before its handler.</summary>
public sealed class RequestValidationTests(HelpdeskApp app) : IClassFixture<HelpdeskApp>
{
    /// <summary>
    /// Bodies with nothing for a validator to check, and why. The ticket's merge patch is bound
    /// as a JSON document (an absent field and a null one mean different things) and checked
    /// field by field by PatchTicket; the others hold a single optional boolean, which the JSON
    /// reader already refuses when it is anything else. InvocationRequest is the envelope the
    /// Functions host posts to a trigger route (<c>POST /{FunctionName}</c>): written by the host,
    /// not by a client, and read by the trigger plumbing (Triggers, Events/QueueTriggers).
    /// </summary>
    private static readonly HashSet<string> Unvalidated = ["TicketPatchDocument", "CloseRequest", "ConfirmDraftRequest", "InvocationRequest"];

    [Fact]
    public void Every_json_body_has_a_registered_validator_that_its_route_runs()
    {
        _ = app.Server;
        var routes = app.Services.GetServices<EndpointDataSource>().SelectMany(s => s.Endpoints).OfType<RouteEndpoint>().ToList();
        var bodies = routes
            .Select(r => (Route: $"{string.Join(',', r.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? [])} {r.RoutePattern.RawText}", Accepts: r.Metadata.GetMetadata<IAcceptsMetadata>(), Validated: r.Metadata.GetMetadata<ValidatedBody>()))
            .Where(r => r.Accepts is { RequestType: not null } && r.Accepts.ContentTypes.Any(t => t.Contains("json", StringComparison.Ordinal)))
            .ToList();

        bodies.Count.ShouldBeGreaterThan(40);
        var missing = bodies
            .Where(b => !Unvalidated.Contains(b.Accepts!.RequestType!.Name))
            .Where(b => b.Validated?.RequestType != b.Accepts!.RequestType || app.Services.GetService(typeof(IValidator<>).MakeGenericType(b.Accepts.RequestType!)) is null)
            .Select(b => $"{b.Route} ({b.Accepts!.RequestType!.Name})")
            .ToList();
        missing.ShouldBeEmpty();
        bodies.Select(b => b.Accepts!.RequestType!.Name).Intersect(Unvalidated).Count().ShouldBe(Unvalidated.Count, "an exemption whose body is gone is dropped from the list");
    }
}
