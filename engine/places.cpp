#include "engine/places.hpp"

#include <algorithm>
#include <iterator>

#include "engine/text.hpp"

namespace safer {

std::string_view place_of(std::string_view location) {
    location = trim(location);
    if (location.starts_with("On or near ")) location.remove_prefix(11);
    return trim(location);
}

bool is_generic_place(std::string_view location) {
    const std::string_view place = place_of(location);
    return std::any_of(std::begin(generic_places), std::end(generic_places), [&](const char* g) { return place == g; });
}

std::string_view street_of(std::string_view location) {
    const std::string_view place = place_of(location);
    return place.empty() || is_generic_place(place) ? std::string_view() : place;
}

} // namespace safer
