using Microsoft.AspNetCore.Mvc;

namespace Helpdesk.Api.Common;

/// <summary>
/// Reads a form body the way every form route should: a malformed multipart body (no boundary,
/// a header line broken by CR/LF in a file name, a body cut short) or one over the form limits
/// (thousands of parts) is a 400 naming <c>field</c>, not a server error. The form reader
/// reports all of these as InvalidDataException (or IOException for a body that ends early).
/// </summary>
public static class Forms
{
    /// <summary>The form, or (when it cannot be read) the 400 to answer.</summary>
    public static async Task<(IFormCollection? Form, ProblemDetails? Problem)> ReadAsync(HttpRequest request, string field, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        try
        {
            return (await request.ReadFormAsync(cancellationToken), null);
        }
        catch (InvalidDataException e)
        {
            return Refused(field, e.Message);
        }
        catch (IOException e) when (!request.HttpContext.RequestAborted.IsCancellationRequested)
        {
            return Refused(field, e.Message);
        }
    }

    private static (IFormCollection?, ProblemDetails?) Refused(string field, string reason) =>
        (null, Problems.Validation(field, $"The form body could not be read: {reason}"));
}
