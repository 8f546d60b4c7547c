using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Helpdesk.Api.Common;

/// <summary>
/// 200 answers that are not (only) JSON. <c>.Produces</c> refuses a media range and keeps one
/// content per status (a second <c>.Produces</c> on 200 replaces the JSON one), so a route marks
/// itself and this transformer writes its 200: a download (<see cref="ProducesFile"/>) as
/// <c>*/*</c> with a binary schema, since a file keeps the media type it was stored with; another
/// form of the same answer (<see cref="ProducesAlso"/>: a report's CSV, a page's HTML) beside the JSON.
/// </summary>
internal sealed class FileResponses : IOpenApiOperationTransformer
{
    public const string AnyMediaType = "*/*";

    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        if (metadata.OfType<FileDownload>().Any())
        {
            (operation.Responses ??= [])["200"] = new OpenApiResponse
            {
                Description = "The file's bytes, in the media type it was stored with.",
                Content = new Dictionary<string, OpenApiMediaType>(StringComparer.Ordinal) { [AnyMediaType] = new() { Schema = Text(binary: true) } },
            };
        }

        foreach (var form in metadata.OfType<OtherForm>())
        {
            var ok = (operation.Responses ??= []).TryGetValue("200", out var found) && found is OpenApiResponse response
                ? response
                : throw new InvalidOperationException($"{context.Description.RelativePath}: {form.MediaType} is another form of a 200 the route does not declare.");
            (ok.Content ??= new Dictionary<string, OpenApiMediaType>(StringComparer.Ordinal))[form.MediaType] = new() { Schema = Text(form.Binary) };
        }

        return Task.CompletedTask;
    }

    /// <summary>The route answers a file of any media type (its 200).</summary>
    public static RouteHandlerBuilder ProducesFile(RouteHandlerBuilder route) => route.WithMetadata(new FileDownload());

    /// <summary>The route's 200 also comes as <paramref name="mediaType"/> (bytes, or text when not <paramref name="binary"/>).</summary>
    public static RouteHandlerBuilder ProducesAlso(RouteHandlerBuilder route, string mediaType, bool binary) => route.WithMetadata(new OtherForm(mediaType, binary));

    private static OpenApiSchema Text(bool binary) => new() { Type = JsonSchemaType.String, Format = binary ? "binary" : null };

    private sealed class FileDownload;

    private sealed record OtherForm(string MediaType, bool Binary);
}
