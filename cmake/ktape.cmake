# ktape_library(NAME PUBLIC deps... PRIVATE deps...)
# One static library per top-level folder, built from every .cpp in it. A folder with no sources
# yet is an INTERFACE library, so that the graph can be declared before the code exists.
function(ktape_library name)
  cmake_parse_arguments(ARG "" "" "PUBLIC;PRIVATE" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  if(sources)
    add_library(ktape_${name} STATIC ${sources})
    target_link_libraries(ktape_${name} PUBLIC ktape_settings ${ARG_PUBLIC} PRIVATE ${ARG_PRIVATE})
  else()
    add_library(ktape_${name} INTERFACE)
    target_link_libraries(ktape_${name} INTERFACE ktape_settings ${ARG_PUBLIC})
  endif()
endfunction()

# ktape_test(FOLDER deps...): tests/FOLDER/test_*.cpp become one doctest binary run by ctest.
function(ktape_test folder)
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${folder}/*.cpp)
  if(NOT sources)
    return()
  endif()
  add_executable(${folder}_tests ${sources} ${CMAKE_CURRENT_SOURCE_DIR}/doctest_main.cpp)
  target_link_libraries(${folder}_tests PRIVATE ktape_settings ${ARGN})
  target_compile_definitions(${folder}_tests PRIVATE
    KTAPE_SOURCE_DIR="${PROJECT_SOURCE_DIR}" KTAPE_BINARY="$<TARGET_FILE:ktape>")
  add_test(NAME ${folder} COMMAND ${folder}_tests --no-intro=true)
  set_tests_properties(${folder} PROPERTIES TIMEOUT 1200 ENVIRONMENT "KTAPE_HOME=${CMAKE_BINARY_DIR}/ktape-home")
endfunction()
