#pragma once
// The one XML writer for the documents safer writes (QGIS styles, the ISO 19139 lineage record),
// on GDAL's CPLXMLNode: GDAL escapes text and attribute values as it serializes, so callers pass
// plain text and escape nothing.
//
// XML readers turn a tab or newline in an attribute value into a space; text that spans lines
// belongs in an element.
#include <memory>
#include <string>
#include <string_view>

struct CPLXMLNode;

namespace safer::layers::xml {

/// An element of a Document, valid while the document lives. Copies refer to the same element.
class Element {
public:
    /// Adds name="value".
    Element& attribute(std::string_view name, std::string_view value);
    /// Appends a child element and returns it.
    Element child(std::string_view name);
    /// Appends a child element holding `text`, and returns it.
    Element child(std::string_view name, std::string_view text);
    /// Appends text content.
    Element& text(std::string_view text);
    /// Appends a comment, `<!-- text -->` ("--" in `text` is broken up, as a comment cannot hold it).
    Element& comment(std::string_view text);
    /// Parses `document` (an XML text this program wrote, such as a QML style) and moves the
    /// attributes and children of its root element, named `root`, into this element: how a
    /// layer's style becomes part of a project. std::invalid_argument if it does not parse or has
    /// no such root.
    Element& adopt(std::string_view document, std::string_view root);

private:
    friend class Document;
    explicit Element(CPLXMLNode* node) : m_node(node) {}
    CPLXMLNode* m_node;
};

/// What comes before the root element, in this order.
struct Prolog {
    bool declaration = false; ///< <?xml version="1.0" encoding="UTF-8"?>
    std::string doctype;      ///< a whole <!DOCTYPE ...> declaration, written as given
    std::string comment;      ///< written as <!-- comment -->
};

/// An XML document: its prolog and root element. Move-only; owns its nodes.
class Document {
public:
    explicit Document(std::string_view root, const Prolog& prolog = {});
    ~Document();
    Document(Document&&) noexcept;
    Document& operator=(Document&&) noexcept;
    Document(const Document&) = delete;
    Document& operator=(const Document&) = delete;

    Element root() { return Element(m_root); }
    /// The document as UTF-8 text, indented, each top-level node on its own line.
    std::string str() const;

private:
    struct Destroy {
        void operator()(CPLXMLNode* node) const noexcept;
    };
    std::unique_ptr<CPLXMLNode, Destroy> m_first; // the first top-level node; the rest are its siblings
    CPLXMLNode* m_root = nullptr;
};

} // namespace safer::layers::xml
