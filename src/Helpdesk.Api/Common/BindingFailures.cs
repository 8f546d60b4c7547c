using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Common;

/// <summary>
/// Turns a request ASP.NET Core could not bind into a 400 that names each bad parameter or
/// member and why. The framework reports a binding failure only as a sentence
/// (BadHttpRequestException: "Failed to bind parameter ...", "Implicit body inferred ..."), so the
/// endpoint's parameters (IParameterBindingMetadata) are checked again against the request, and a
/// JSON error's path is followed through the body's type to say what the member expects.
/// </summary>
internal static class BindingFailures
{
    private static readonly ConcurrentDictionary<Type, Func<string, bool>?> Parsers = new();

    public static ProblemDetails Describe(HttpContext http, BadHttpRequestException exception)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(exception);
        switch (exception.StatusCode)
        {
            case StatusCodes.Status413PayloadTooLarge:
                return Problems.Create(StatusCodes.Status413PayloadTooLarge, ProblemTypes.TooLarge, "The request body is too large.", exception.Message);
            case StatusCodes.Status415UnsupportedMediaType:
                return UnsupportedMediaType(http);
        }

        if (exception.InnerException is JsonException json)
        {
            return Problems.Validation(JsonPaths.ToField(json.Path), Reason(http, json));
        }

        var errors = ParameterErrors(http);
        return errors.Count > 0
            ? Problems.Validation(errors)
            : Problems.Validation("request", "The request could not be read: " + exception.Message);
    }

    /// <summary>
    /// The parameters of the request's endpoint that do not bind, each with why. Also used for the
    /// 400 the compile-time request delegates answer with no exception and no body (a query value
    /// that does not parse as the nullable type it binds to).
    /// </summary>
    public static Dictionary<string, string[]> ParameterErrors(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var endpoint = EndpointOf(http);
        var routeValues = http.Features.Get<IExceptionHandlerFeature>()?.RouteValues ?? http.Request.RouteValues;
        foreach (var parameter in endpoint?.Metadata.GetOrderedMetadata<IParameterBindingMetadata>() ?? [])
        {
            if (parameter.HasTryParse && Check(http, parameter, endpoint as RouteEndpoint, routeValues) is { } reason)
            {
                errors[parameter.Name] = [reason];
            }
        }

        if (errors.Count == 0 && endpoint?.Metadata.GetMetadata<IAcceptsMetadata>() is { RequestType: not null, IsOptional: false })
        {
            errors["body"] = ["A JSON object is required as the body (it was empty or null)."];
        }

        return errors;
    }

    /// <summary>415 naming the header: the route takes the content types it declares.</summary>
    public static HttpValidationProblemDetails UnsupportedMediaType(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        var accepted = EndpointOf(http)?.Metadata.GetMetadata<IAcceptsMetadata>()?.ContentTypes ?? ["application/json"];
        var problem = Problems.Validation("Content-Type", $"Send the body as {string.Join(" or ", accepted)}.", StatusCodes.Status415UnsupportedMediaType, ProblemTypes.UnsupportedMediaType);
        problem.Title = "The body's media type is not accepted.";
        return problem;
    }

    /// <summary>The endpoint that failed: the exception handler has already cleared it from the context and kept it in its feature.</summary>
    private static Endpoint? EndpointOf(HttpContext http) =>
        http.Features.Get<IExceptionHandlerFeature>()?.Endpoint ?? http.GetEndpoint();

    /// <summary>Why a query, route or header value did not bind, or null when it binds.</summary>
    private static string? Check(HttpContext http, IParameterBindingMetadata parameter, RouteEndpoint? endpoint, RouteValueDictionary routeValues)
    {
        var info = parameter.ParameterInfo;
        var name = info.GetCustomAttributes().OfType<IFromHeaderMetadata>().FirstOrDefault()?.Name
            ?? info.GetCustomAttributes().OfType<IFromQueryMetadata>().FirstOrDefault()?.Name
            ?? info.GetCustomAttributes().OfType<IFromRouteMetadata>().FirstOrDefault()?.Name
            ?? parameter.Name;
        string?[] values = info.GetCustomAttributes().OfType<IFromHeaderMetadata>().Any() ? http.Request.Headers[name].ToArray()
            : endpoint?.RoutePattern.GetParameter(name) is not null || info.GetCustomAttributes().OfType<IFromRouteMetadata>().Any() ? [routeValues[name]?.ToString()]
            : http.Request.Query[name].ToArray();
        values = [.. values.Where(v => !string.IsNullOrEmpty(v))];
        if (values.Length == 0)
        {
            return parameter.IsOptional ? null : $"The {name} parameter is required.";
        }

        var type = info.ParameterType.IsArray ? info.ParameterType.GetElementType()! : info.ParameterType;
        return Parsers.GetOrAdd(Nullable.GetUnderlyingType(type) ?? type, ParserOf) is { } parses && values.Any(v => !parses(v!))
            ? $"'{Shorten(values.First(v => !parses(v!))!)}' is not {Expected(type)}."
            : null;
    }

    /// <summary>The type's TryParse, as minimal APIs bind it (invariant culture), or null for types bound another way.</summary>
    private static Func<string, bool>? ParserOf(Type type)
    {
        if (type.IsEnum)
        {
            return text => Enum.TryParse(type, text, ignoreCase: true, out _);
        }

        var withProvider = type.GetMethod("TryParse", BindingFlags.Public | BindingFlags.Static, [typeof(string), typeof(IFormatProvider), type.MakeByRefType()]);
        if (withProvider is not null)
        {
            return text => (bool)withProvider.Invoke(null, [text, CultureInfo.InvariantCulture, null])!;
        }

        var plain = type.GetMethod("TryParse", BindingFlags.Public | BindingFlags.Static, [typeof(string), type.MakeByRefType()]);
        return plain is null ? null : text => (bool)plain.Invoke(null, [text, null])!;
    }

    /// <summary>What a body member expects, found by following the error's path through the body's type.</summary>
    private static string Reason(HttpContext http, JsonException exception)
    {
        if (exception.InnerException is JsonException syntax)
        {
            return $"The body is not valid JSON: {syntax.Message}";
        }

        var bodyType = EndpointOf(http)?.Metadata.GetMetadata<IAcceptsMetadata>()?.RequestType;
        var options = http.RequestServices.GetRequiredService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;
        if (bodyType is null)
        {
            return "The value is not valid JSON of the expected type.";
        }

        var member = Follow(options, bodyType, JsonPaths.Segments(exception.Path));
        return member switch
        {
            { Known: false } => "Unknown property: this field is not part of the request.",
            { Type: { } type } => $"The value is not {Expected(type)}.",
            _ => "The value is not valid JSON of the expected type.",
        };
    }

    private static (bool Known, Type? Type) Follow(JsonSerializerOptions options, Type type, IReadOnlyList<string> segments)
    {
        var current = type;
        foreach (var segment in segments)
        {
            current = Nullable.GetUnderlyingType(current) ?? current;
            var info = options.GetTypeInfo(current);
            switch (info.Kind)
            {
                case JsonTypeInfoKind.Object:
                    var property = info.Properties.FirstOrDefault(p => string.Equals(p.Name, segment, options.PropertyNameCaseInsensitive ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal));
                    if (property is null)
                    {
                        return (false, null);
                    }

                    current = property.PropertyType;
                    break;
                case JsonTypeInfoKind.Enumerable or JsonTypeInfoKind.Dictionary when info.ElementType is not null:
                    current = info.ElementType;
                    break;
                default:
                    return (true, null);
            }
        }

        return (true, current);
    }

    /// <summary>"an integer from -2147483648 to 2147483647", "one of: urgent, high, normal, low", "a string of valid Unicode text", ...</summary>
    public static string Expected(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type.IsEnum)
        {
            return "one of: " + string.Join(", ", Enum.GetNames(type).Select(n => JsonNamingPolicy.CamelCase.ConvertName(n)));
        }

        return Type.GetTypeCode(type) switch
        {
            TypeCode.String => "a string of valid Unicode text",
            TypeCode.Boolean => "true or false",
            TypeCode.Int32 => string.Create(CultureInfo.InvariantCulture, $"an integer from {int.MinValue} to {int.MaxValue}"),
            TypeCode.Int64 => string.Create(CultureInfo.InvariantCulture, $"an integer from {long.MinValue} to {long.MaxValue}"),
            TypeCode.Int16 or TypeCode.Byte or TypeCode.SByte or TypeCode.UInt16 or TypeCode.UInt32 or TypeCode.UInt64 => "an integer in range",
            TypeCode.Decimal or TypeCode.Double or TypeCode.Single => "a number in range",
            _ when type == typeof(DateTimeOffset) || type == typeof(DateTime) => "an ISO-8601 instant with a time zone (e.g. 2026-03-02T09:00:00Z)",
            _ when type == typeof(DateOnly) => "a date (YYYY-MM-DD)",
            _ when type == typeof(TimeOnly) => "a time of day (HH:mm)",
            _ when type == typeof(Guid) => "a GUID",
            _ when type.IsArray || (type != typeof(string) && type.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>))) => "an array",
            _ => "an object of the expected shape",
        };
    }

    private static string Shorten(string value) => value.Length > 40 ? value[..40] + "…" : value;
}
