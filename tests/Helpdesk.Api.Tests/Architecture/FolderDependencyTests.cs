using Mono.Cecil;

namespace Helpdesk.Api.Tests.Architecture;

/// <summary>
/// The shape of the code, read from the compiled assembly (its IL, with Mono.Cecil: every type a
/// type names in its signatures, attributes and method bodies): each folder of src/Helpdesk.Api is a
/// namespace, and the folders depend on each other without a circle, so any of them can be read
/// (and changed) knowing only the ones below it: Common and Storage (the engines' plumbing) at the
/// bottom, then Triggers, Auth, Directory, Events, Tickets, and the capabilities built on tickets,
/// with Hosting, the composition, on top (docs/adr/0008-one-write-path.md).
/// </summary>
public sealed class FolderDependencyTests
{
    private const string Root = "Helpdesk.Api";

    /// <summary>
    /// Dependencies allowed although they close a circle, each with its reason. Empty: every
    /// circle found so far was broken; add one here only with the reason it cannot be.
    /// </summary>
    private static readonly (string From, string To, string Why)[] AllowedCircles = [];

    private static readonly Lazy<Dictionary<string, Dictionary<string, HashSet<string>>>> Uses = new(ReadUses);

    [Fact]
    public void Folders_do_not_depend_on_each_other_in_a_circle()
    {
        var graph = Graph();
        var circles = StronglyConnected(graph).Where(c => c.Count > 1).ToList();

        circles.ShouldBeEmpty(string.Join(
            Environment.NewLine,
            circles.Select(c => "circle: " + string.Join(", ", c) + Environment.NewLine + string.Join(
                Environment.NewLine,
                c.SelectMany(from => graph[from].Where(c.Contains).Select(to => $"  {from} -> {to}: {string.Join(", ", Culprits(from, to).Take(5))}"))))));
    }

    [Fact]
    public void Storage_holds_only_the_engines_plumbing()
    {
        var graph = Graph();

        graph["Storage"].ShouldBeSubsetOf(["Common"], "Storage/ is the engines' plumbing (connection, schema, migrations, containers, retries): stores live beside their interfaces in the capability folders");
    }

    [Fact]
    public void The_domain_references_nothing_but_the_runtime()
    {
        var domain = typeof(Domain.Tickets.Ticket).Assembly;

        domain.GetReferencedAssemblies().Select(a => a.Name!).Where(n => !n.StartsWith("System", StringComparison.Ordinal) && n != "netstandard")
            .ShouldBeEmpty("the domain is pure C#: no package, no I/O");
    }

    [Fact]
    public void A_circle_is_reported_with_the_types_that_make_it()
    {
        var graph = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal)
        {
            ["A"] = ["B"],
            ["B"] = ["C"],
            ["C"] = ["A"],
            ["D"] = ["A"],
        };

        StronglyConnected(graph).Where(c => c.Count > 1).Select(c => c.Order(StringComparer.Ordinal)).ShouldHaveSingleItem().ShouldBe(["A", "B", "C"]);
    }

    /// <summary>The folders (first namespace level under Helpdesk.Api) each folder's types use.</summary>
    private static Dictionary<string, HashSet<string>> Graph() =>
        Uses.Value.ToDictionary(
            f => f.Key,
            f => f.Value.Keys.Where(to => !AllowedCircles.Any(a => a.From == f.Key && a.To == to)).ToHashSet(StringComparer.Ordinal),
            StringComparer.Ordinal);

    private static IEnumerable<string> Culprits(string from, string to) => Uses.Value[from][to].Order(StringComparer.Ordinal);

    /// <summary>For each folder, the other folders its types use, with the types that use them.</summary>
    private static Dictionary<string, Dictionary<string, HashSet<string>>> ReadUses()
    {
        using var module = ModuleDefinition.ReadModule(typeof(Program).Assembly.Location);
        var uses = new Dictionary<string, Dictionary<string, HashSet<string>>>(StringComparer.Ordinal);
        foreach (var type in module.GetTypes())
        {
            var from = FolderOf(type);
            if (from is null)
            {
                continue;
            }

            var used = uses.TryGetValue(from, out var found) ? found : uses[from] = new(StringComparer.Ordinal);
            foreach (var to in Referenced(type).Select(FolderOf).OfType<string>().Where(to => to != from))
            {
                (used.TryGetValue(to, out var users) ? users : used[to] = new(StringComparer.Ordinal)).Add(Outermost(type).FullName);
            }
        }

        return uses;
    }

    /// <summary>Every type <paramref name="type"/> names: base, interfaces, attributes, members' signatures and what its method bodies touch.</summary>
    private static IEnumerable<TypeReference> Referenced(TypeDefinition type)
    {
        IEnumerable<TypeReference> Attributes(ICustomAttributeProvider provider) =>
            provider.HasCustomAttributes ? provider.CustomAttributes.Select(a => a.AttributeType) : [];

        if (type.BaseType is { } baseType)
        {
            yield return baseType;
        }

        foreach (var reference in type.Interfaces.Select(i => i.InterfaceType).Concat(Attributes(type)))
        {
            yield return reference;
        }

        foreach (var field in type.Fields)
        {
            yield return field.FieldType;
        }

        foreach (var property in type.Properties)
        {
            yield return property.PropertyType;
        }

        foreach (var method in type.Methods)
        {
            yield return method.ReturnType;
            foreach (var reference in method.Parameters.Select(p => p.ParameterType).Concat(Attributes(method)))
            {
                yield return reference;
            }

            if (!method.HasBody)
            {
                continue;
            }

            foreach (var variable in method.Body.Variables)
            {
                yield return variable.VariableType;
            }

            foreach (var operand in method.Body.Instructions.Select(i => i.Operand))
            {
                switch (operand)
                {
                    case TypeReference t:
                        yield return t;
                        break;
                    case MethodReference m:
                        yield return m.DeclaringType;
                        yield return m.ReturnType;
                        foreach (var parameter in m.Parameters)
                        {
                            yield return parameter.ParameterType;
                        }

                        break;
                    case FieldReference f:
                        yield return f.DeclaringType;
                        yield return f.FieldType;
                        break;
                }
            }
        }
    }

    /// <summary>The folder of a type (generic arguments, arrays and nested types included), or null outside Helpdesk.Api's folders.</summary>
    private static string? FolderOf(TypeReference type)
    {
        while (type is TypeSpecification { ElementType: { } element } && type is not GenericInstanceType)
        {
            type = element;
        }

        if (type is GenericInstanceType generic)
        {
            return FolderOf(generic.ElementType);
        }

        var ns = Outermost(type).Namespace;
        return ns.StartsWith(Root + ".", StringComparison.Ordinal) ? Folder(ns) : null;
    }

    private static TypeReference Outermost(TypeReference type)
    {
        while (type.DeclaringType is { } outer)
        {
            type = outer;
        }

        return type;
    }

    private static string Folder(string ns) => ns[(Root.Length + 1)..].Split('.')[0];

    /// <summary>Tarjan's strongly connected components: a component of more than one folder is a circle.</summary>
    private static List<List<string>> StronglyConnected(Dictionary<string, HashSet<string>> graph)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var low = new Dictionary<string, int>(StringComparer.Ordinal);
        var stack = new Stack<string>();
        var onStack = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<List<string>>();

        void Visit(string v)
        {
            index[v] = low[v] = index.Count;
            stack.Push(v);
            onStack.Add(v);
            foreach (var w in graph.GetValueOrDefault(v) ?? [])
            {
                if (!index.TryGetValue(w, out var seen))
                {
                    Visit(w);
                    low[v] = Math.Min(low[v], low[w]);
                }
                else if (onStack.Contains(w))
                {
                    low[v] = Math.Min(low[v], seen);
                }
            }

            if (low[v] == index[v])
            {
                var component = new List<string>();
                string w;
                do
                {
                    w = stack.Pop();
                    onStack.Remove(w);
                    component.Add(w);
                }
                while (w != v);
                result.Add(component);
            }
        }

        foreach (var v in graph.Keys.Order(StringComparer.Ordinal))
        {
            if (!index.ContainsKey(v))
            {
                Visit(v);
            }
        }

        return result;
    }
}
