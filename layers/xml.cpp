#include "layers/xml.hpp"

#include <cpl_minixml.h>
#include <cpl_vsi.h>

#include <fmt/core.h>

#include <memory>
#include <stdexcept>
#include <utility>

namespace safer::layers::xml {

namespace {

/// Text a comment can hold: no "--" inside, none at the end (the "-->" would read as "--").
std::string comment_text(std::string_view text) {
    std::string s(text);
    for (size_t i = s.find("--"); i != std::string::npos; i = s.find("--", i)) s[i + 1] = ' ';
    return " " + s + " ";
}

CPLXMLNode* node(CPLXMLNode* parent, CPLXMLNodeType type, std::string_view value) {
    return CPLCreateXMLNode(parent, type, std::string(value).c_str());
}

} // namespace

Element& Element::attribute(std::string_view name, std::string_view value) {
    CPLAddXMLAttributeAndValue(m_node, std::string(name).c_str(), std::string(value).c_str());
    return *this;
}

Element Element::child(std::string_view name) { return Element(node(m_node, CXT_Element, name)); }

Element Element::child(std::string_view name, std::string_view text) {
    Element e = child(name);
    e.text(text);
    return e;
}

Element& Element::text(std::string_view text) {
    node(m_node, CXT_Text, text);
    return *this;
}

Element& Element::comment(std::string_view text) {
    node(m_node, CXT_Comment, comment_text(text));
    return *this;
}

Element& Element::adopt(std::string_view document, std::string_view root) {
    const std::unique_ptr<CPLXMLNode, decltype(&CPLDestroyXMLNode)> tree(CPLParseXMLString(std::string(document).c_str()), &CPLDestroyXMLNode);
    CPLXMLNode* found = nullptr;
    for (CPLXMLNode* n = tree.get(); n && !found; n = n->psNext)
        if (n->eType == CXT_Element && root == n->pszValue) found = n;
    if (!found) throw std::invalid_argument(fmt::format("xml: no <{}> element to adopt", root));
    // Detach the root's children and hang each on this element, attributes among the attributes.
    CPLXMLNode* child = std::exchange(found->psChild, nullptr);
    while (child) {
        CPLXMLNode* next = std::exchange(child->psNext, nullptr);
        CPLAddXMLChild(m_node, child);
        child = next;
    }
    return *this;
}

void Document::Destroy::operator()(CPLXMLNode* n) const noexcept { CPLDestroyXMLNode(n); } // and its siblings

Document::Document(std::string_view root, const Prolog& prolog) {
    // Each node is owned (through m_first) before the next is made, so none leaks on failure.
    CPLXMLNode* last = nullptr;
    const auto append = [&](CPLXMLNode* n) {
        if (last) CPLAddXMLSibling(last, n);
        else m_first.reset(n);
        last = n;
    };
    if (prolog.declaration) {
        // GDAL writes an element named "?xml" as the declaration.
        CPLXMLNode* d = node(nullptr, CXT_Element, "?xml");
        append(d);
        CPLAddXMLAttributeAndValue(d, "version", "1.0");
        CPLAddXMLAttributeAndValue(d, "encoding", "UTF-8");
    }
    if (!prolog.doctype.empty()) append(node(nullptr, CXT_Literal, prolog.doctype));
    if (!prolog.comment.empty()) append(node(nullptr, CXT_Comment, comment_text(prolog.comment)));
    m_root = node(nullptr, CXT_Element, root);
    append(m_root);
}

Document::~Document() = default;
Document::Document(Document&& other) noexcept : m_first(std::move(other.m_first)), m_root(std::exchange(other.m_root, nullptr)) {}

Document& Document::operator=(Document&& other) noexcept {
    m_first = std::move(other.m_first);
    m_root = std::exchange(other.m_root, nullptr);
    return *this;
}

std::string Document::str() const {
    // GDAL allocates the text; CPLFree is VSIFree.
    const std::unique_ptr<char, decltype(&VSIFree)> text(CPLSerializeXMLTree(m_first.get()), &VSIFree);
    return text ? std::string(text.get()) : std::string();
}

} // namespace safer::layers::xml
